/** CustomResourceDefinitions and the custom resources they define (schema pruning and validation). */
import type { FieldError } from "../api/errors.js";
import type { Crd, JsonSchemaProps } from "../kinds.js";
import { isPlainObject } from "../machinery/objects.js";
import { pruneAndDefault, pruneUnknown, schemaErrors } from "../machinery/schema.js";
import type { Strategy } from "./strategy.js";

export const CRD_CLEANUP_FINALIZER = "customresourcecleanup.apiextensions.k8s.io";

function crdErrors(crd: Crd): FieldError[] {
  const spec = crd.spec;
  if (!isPlainObject(spec)) return [{ type: "Required", field: "spec" }];
  const errors: FieldError[] = [];
  if (!spec.group) errors.push({ type: "Required", field: "spec.group" });
  else if (!spec.group.includes(".")) errors.push({ type: "Invalid", field: "spec.group", value: spec.group, detail: "should be a domain with at least one dot" });
  if (!spec.names?.plural) errors.push({ type: "Required", field: "spec.names.plural" });
  if (!spec.names?.kind) errors.push({ type: "Required", field: "spec.names.kind" });
  if (spec.names?.plural && spec.group && crd.metadata.name !== `${spec.names.plural}.${spec.group}`) {
    errors.push({ type: "Invalid", field: "metadata.name", value: crd.metadata.name, detail: 'must be spec.names.plural+"."+spec.group' });
  }
  if (spec.scope !== "Namespaced" && spec.scope !== "Cluster") {
    errors.push({ type: "NotSupported", field: "spec.scope", value: spec.scope, detail: `supported values: "Cluster", "Namespaced"` });
  }
  const versions = Array.isArray(spec.versions) ? spec.versions : [];
  if (versions.length === 0) errors.push({ type: "Required", field: "spec.versions" });
  else if (versions.filter((v) => v.storage).length !== 1) {
    errors.push({ type: "Invalid", field: "spec.versions", value: versions.map((v) => v.name), detail: "must have exactly one version marked as storage version" });
  }
  return errors;
}

export const CRD: Strategy = {
  nameRule: "subdomain",
  defaults(obj) {
    const spec = (obj as Crd).spec;
    if (!isPlainObject(spec) || !isPlainObject(spec.names)) return;
    spec.names.singular ??= spec.names.kind?.toLowerCase();
    spec.names.listKind ??= `${spec.names.kind}List`;
    for (const v of spec.versions ?? []) {
      v.served ??= true;
      v.storage ??= false;
    }
  },
  initialStatus: () => ({}),
  validate: (obj) => crdErrors(obj as Crd),
};

/** The strategy of one served version of a custom resource. */
export function customResourceStrategy(schema: JsonSchemaProps | undefined): Strategy {
  return {
    nameRule: "subdomain",
    pruneUnknown: (obj) => (schema ? pruneUnknown(obj, schema) : []),
    defaults(obj) {
      if (schema) pruneAndDefault(obj, schema);
    },
    validate: (obj) => (schema ? schemaErrors(obj, schema) : []),
  };
}
