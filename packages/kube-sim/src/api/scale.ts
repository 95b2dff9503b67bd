/** The `scale` subresource: an autoscaling/v1 Scale view of a Deployment's or ReplicaSet's replicas. */
import type { Deployment, KObject, LabelSelectorObj } from "../kinds.js";
import { clone, isPlainObject } from "../machinery/objects.js";
import { normalizeObject } from "../protobuf/index.js";
import type { ApiCore, WriteContext } from "./core.js";
import { badRequest, conflict, invalid } from "./errors.js";
import { applyPatch } from "./patch.js";
import type { ResourceType } from "./resources.js";

/** A selector object as the text form of a label selector (`app=web,tier in (a,b)`). */
export function selectorText(sel: LabelSelectorObj | undefined): string {
  const parts = Object.entries(sel?.matchLabels ?? {}).map(([k, v]) => `${k}=${v}`);
  for (const e of sel?.matchExpressions ?? []) {
    const values = (e.values ?? []).join(",");
    if (e.operator === "In") parts.push(`${e.key} in (${values})`);
    else if (e.operator === "NotIn") parts.push(`${e.key} notin (${values})`);
    else if (e.operator === "Exists") parts.push(e.key);
    else if (e.operator === "DoesNotExist") parts.push(`!${e.key}`);
  }
  return parts.join(",");
}

export function toScale(obj: KObject): KObject {
  const d = obj as Deployment;
  const meta = d.metadata;
  const scale: KObject = {
    kind: "Scale",
    apiVersion: "autoscaling/v1",
    metadata: {
      name: meta.name ?? "",
      namespace: meta.namespace ?? "",
      uid: meta.uid ?? "",
      resourceVersion: meta.resourceVersion ?? "",
      creationTimestamp: meta.creationTimestamp ?? "",
    },
    spec: { replicas: d.spec.replicas ?? 0 },
    status: { replicas: d.status?.replicas ?? 0, selector: selectorText(d.spec.selector) },
  };
  normalizeObject("autoscaling/v1", "Scale", scale);
  return scale;
}

export function updateScale(core: ApiCore, rt: ResourceType, namespace: string, name: string, body: unknown, ctx: WriteContext): KObject {
  const current = core.get(rt, namespace, name);
  if (!isPlainObject(body)) throw badRequest("the body of the request could not be decoded as a Scale");
  const scale = body as { metadata?: { resourceVersion?: string }; spec?: { replicas?: unknown } };
  const replicas = scale.spec?.replicas ?? 0;
  if (typeof replicas !== "number" || !Number.isInteger(replicas) || replicas < 0) {
    throw invalid("Scale", "autoscaling", name, [{ type: "Invalid", field: "spec.replicas", value: replicas, detail: "must be greater than or equal to 0" }]);
  }
  const rv = scale.metadata?.resourceVersion;
  if (rv && rv !== current.metadata.resourceVersion) throw conflict(rt, name);
  const next = clone(current) as Deployment;
  next.spec.replicas = replicas;
  return toScale(core.update(rt, namespace, name, next, ctx));
}

export function patchScale(core: ApiCore, rt: ResourceType, namespace: string, name: string, patchType: string, patch: unknown, ctx: WriteContext): KObject {
  const current = toScale(core.get(rt, namespace, name));
  return updateScale(core, rt, namespace, name, applyPatch(current, patchType, patch, "Scale"), ctx);
}
