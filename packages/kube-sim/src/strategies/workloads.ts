/** Deployments and ReplicaSets: defaults and validation. */
import type { FieldError } from "../api/errors.js";
import type { Deployment, KObject, LabelSelectorObj, ReplicaSet } from "../kinds.js";
import { deepEqual, isPlainObject } from "../machinery/objects.js";
import { fromLabelSelectorObj, matchesLabels } from "../machinery/selectors.js";
import { immutableErrors, labelErrors } from "../machinery/validation.js";
import { defaultPodSpec, podSpecErrors } from "./pod.js";
import type { Strategy } from "./strategy.js";

function selectorErrors(selector: LabelSelectorObj | undefined, template: KObject["metadata"] | undefined, kind: string): FieldError[] {
  if (!isPlainObject(selector)) return [{ type: "Required", field: "spec.selector" }];
  const reqs = fromLabelSelectorObj(selector);
  if (reqs.length === 0) {
    return [{ type: "Invalid", field: "spec.selector", value: selector, detail: `empty selector is invalid for ${kind}` }];
  }
  const labels = template?.labels;
  if (!matchesLabels(reqs, labels)) {
    return [{ type: "Invalid", field: "spec.template.metadata.labels", value: labels ?? {}, detail: "`selector` does not match template `labels`" }];
  }
  return [];
}

function replicasErrors(replicas: unknown): FieldError[] {
  if (replicas === undefined) return [];
  if (typeof replicas === "number" && Number.isInteger(replicas) && replicas >= 0) return [];
  return [{ type: "Invalid", field: "spec.replicas", value: replicas, detail: "must be greater than or equal to 0" }];
}

function templateErrors(spec: Deployment["spec"] | ReplicaSet["spec"]): FieldError[] {
  const template = spec.template;
  if (!isPlainObject(template)) return [{ type: "Required", field: "spec.template" }];
  const errors = [...labelErrors("spec.template.metadata.labels", template.metadata?.labels), ...podSpecErrors(template.spec, "spec.template.spec")];
  const policy = template.spec?.restartPolicy;
  if (policy && policy !== "Always") {
    errors.push({ type: "NotSupported", field: "spec.template.spec.restartPolicy", value: policy, detail: `supported values: "Always"` });
  }
  return errors;
}

function strategyErrors(d: Deployment): FieldError[] {
  const type = d.spec.strategy?.type;
  if (type === "RollingUpdate" || type === "Recreate") return [];
  return [{ type: "NotSupported", field: "spec.strategy.type", value: type, detail: `supported values: "Recreate", "RollingUpdate"` }];
}

function workloadErrors(obj: Deployment | ReplicaSet, old: KObject | undefined, kind: string): FieldError[] {
  if (!isPlainObject(obj.spec)) return [{ type: "Required", field: "spec.selector" }, { type: "Required", field: "spec.template" }];
  const errors = [...replicasErrors(obj.spec.replicas), ...templateErrors(obj.spec)];
  errors.push(...selectorErrors(obj.spec.selector, obj.spec.template?.metadata, kind));
  if (old) {
    const before = (old as Deployment).spec.selector;
    errors.push(...immutableErrors("spec.selector", obj.spec.selector, !deepEqual(before, obj.spec.selector)));
  }
  return errors;
}

export const DEPLOYMENT: Strategy = {
  nameRule: "subdomain",
  defaults(obj) {
    const spec = (obj as Deployment).spec;
    if (!isPlainObject(spec)) return;
    spec.replicas ??= 1;
    spec.revisionHistoryLimit ??= 10;
    spec.progressDeadlineSeconds ??= 600;
    spec.strategy ??= {};
    spec.strategy.type ??= "RollingUpdate";
    if (spec.strategy.type === "RollingUpdate") {
      spec.strategy.rollingUpdate ??= {};
      spec.strategy.rollingUpdate.maxSurge ??= "25%";
      spec.strategy.rollingUpdate.maxUnavailable ??= "25%";
    }
    if (isPlainObject(spec.template)) {
      spec.template.metadata ??= {};
      defaultPodSpec(spec.template.spec);
    }
  },
  initialStatus: () => ({}),
  validate(obj, old) {
    const d = obj as Deployment;
    const errors = workloadErrors(d, old, "deployment");
    if (isPlainObject(d.spec)) errors.push(...strategyErrors(d));
    return errors;
  },
};

export const REPLICA_SET: Strategy = {
  nameRule: "subdomain",
  defaults(obj) {
    const spec = (obj as ReplicaSet).spec;
    if (!isPlainObject(spec)) return;
    spec.replicas ??= 1;
    if (isPlainObject(spec.template)) {
      spec.template.metadata ??= {};
      defaultPodSpec(spec.template.spec);
    }
  },
  initialStatus: () => ({ replicas: 0 }),
  validate: (obj, old) => workloadErrors(obj as ReplicaSet, old, "replicaset"),
};
