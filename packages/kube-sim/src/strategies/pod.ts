/** Pods: defaults, validation, immutability of the spec, graceful deletion. */
import type { FieldError } from "../api/errors.js";
import type { Container, KObject, Pod, PodSpec, Probe } from "../kinds.js";
import { clone, deepEqual, isPlainObject } from "../machinery/objects.js";
import { nameErrors, portRangeErrors } from "../machinery/validation.js";
import type { Strategy } from "./strategy.js";

const RESTART_POLICIES = ["Always", "OnFailure", "Never"];

function defaultProbe(probe: Probe | undefined): void {
  if (!probe) return;
  probe.timeoutSeconds ??= 1;
  probe.periodSeconds ??= 10;
  probe.successThreshold ??= 1;
  probe.failureThreshold ??= 3;
  if (probe.httpGet) probe.httpGet.scheme ??= "HTTP";
}

function defaultContainer(c: Container): void {
  const image = c.image ?? "";
  const tagged = /:[^/]+$/.test(image) && !image.endsWith(":latest");
  c.imagePullPolicy ??= tagged || image.includes("@") ? "IfNotPresent" : "Always";
  c.terminationMessagePath ??= "/dev/termination-log";
  c.terminationMessagePolicy ??= "File";
  c.resources ??= {};
  for (const p of c.ports ?? []) p.protocol ??= "TCP";
  defaultProbe(c.readinessProbe);
  defaultProbe(c.livenessProbe as Probe | undefined);
  defaultProbe(c.startupProbe as Probe | undefined);
}

/** Defaults of a PodSpec, also used for the pod templates of Deployments and ReplicaSets. */
export function defaultPodSpec(spec: PodSpec | undefined): void {
  if (!isPlainObject(spec)) return;
  spec.restartPolicy ??= "Always";
  spec.terminationGracePeriodSeconds ??= 30;
  spec.dnsPolicy ??= "ClusterFirst";
  spec.schedulerName ??= "default-scheduler";
  spec.securityContext ??= {};
  spec.enableServiceLinks ??= true;
  spec.serviceAccountName ??= (spec.serviceAccount as string | undefined) ?? "default";
  for (const c of [...(spec.initContainers ?? []), ...(Array.isArray(spec.containers) ? spec.containers : [])]) {
    if (isPlainObject(c)) defaultContainer(c);
  }
}

function containerErrors(list: unknown, field: string, required: boolean): FieldError[] {
  if (!Array.isArray(list) || list.length === 0) return required ? [{ type: "Required", field }] : [];
  const errors: FieldError[] = [];
  const seen = new Set<string>();
  list.forEach((c: Partial<Container>, i) => {
    const at = `${field}[${i}]`;
    if (!c.name) errors.push({ type: "Required", field: `${at}.name` });
    else if (seen.has(c.name)) errors.push({ type: "Duplicate", field: `${at}.name`, value: c.name });
    else errors.push(...nameErrors(`${at}.name`, c.name, "label"));
    if (c.name) seen.add(c.name);
    if (!c.image) errors.push({ type: "Required", field: `${at}.image` });
    (c.ports ?? []).forEach((p, j) => errors.push(...portRangeErrors(`${at}.ports[${j}].containerPort`, p.containerPort)));
  });
  return errors;
}

/** Errors of a PodSpec at `field` (e.g. `spec.template.spec`). */
export function podSpecErrors(spec: PodSpec | undefined, field: string): FieldError[] {
  if (!isPlainObject(spec)) return [{ type: "Required", field: `${field}.containers` }];
  const errors = [
    ...containerErrors(spec.containers, `${field}.containers`, true),
    ...containerErrors(spec.initContainers, `${field}.initContainers`, false),
  ];
  if (spec.restartPolicy && !RESTART_POLICIES.includes(spec.restartPolicy)) {
    errors.push({ type: "NotSupported", field: `${field}.restartPolicy`, value: spec.restartPolicy, detail: `supported values: "Always", "Never", "OnFailure"` });
  }
  const grace = spec.terminationGracePeriodSeconds;
  if (grace !== undefined && (typeof grace !== "number" || grace < 0)) {
    errors.push({ type: "Invalid", field: `${field}.terminationGracePeriodSeconds`, value: grace, detail: "must be greater than or equal to 0" });
  }
  return errors;
}

const MUTABLE_MESSAGE =
  "pod updates may not change fields other than `spec.containers[*].image`,`spec.initContainers[*].image`,`spec.activeDeadlineSeconds`,`spec.tolerations` (only additions to existing tolerations),`spec.terminationGracePeriodSeconds` (allow it to be set to 1 if it was previously negative)";

/** A pod's spec may change only in images, activeDeadlineSeconds, tolerations (and nodeName, once, by the scheduler). */
function podUpdateErrors(spec: PodSpec, old: PodSpec): FieldError[] {
  const mutable = clone(spec);
  const images = (list: Container[] | undefined, from: Container[] | undefined) =>
    list?.forEach((c, i) => {
      const before = from?.[i];
      if (before) c.image = before.image;
    });
  images(mutable.containers, old.containers);
  images(mutable.initContainers, old.initContainers);
  mutable.activeDeadlineSeconds = old.activeDeadlineSeconds;
  mutable.tolerations = old.tolerations;
  if (!old.nodeName) mutable.nodeName = old.nodeName;
  if (deepEqual(mutable, old)) return [];
  return [{ type: "Forbidden", field: "spec", detail: MUTABLE_MESSAGE }];
}

function qosClass(spec: PodSpec): string {
  const resources = spec.containers.map((c) => (c.resources ?? {}) as { requests?: object; limits?: object });
  const any = resources.some((r) => Object.keys(r.requests ?? {}).length + Object.keys(r.limits ?? {}).length > 0);
  if (!any) return "BestEffort";
  const guaranteed = resources.every((r) => {
    const limits = r.limits as Record<string, string> | undefined;
    const requests = (r.requests ?? limits) as Record<string, string> | undefined;
    return !!limits && !!limits.cpu && !!limits.memory && deepEqual(requests, limits);
  });
  return guaranteed ? "Guaranteed" : "Burstable";
}

export const POD: Strategy = {
  nameRule: "subdomain",
  fieldLabels: ["spec.nodeName", "spec.restartPolicy", "spec.schedulerName", "spec.serviceAccountName", "status.phase", "status.podIP", "status.nominatedNodeName"],
  defaults(obj) {
    defaultPodSpec((obj as Pod).spec);
  },
  initialStatus(obj) {
    const spec = (obj as Pod).spec;
    return { phase: "Pending", qosClass: Array.isArray(spec?.containers) ? qosClass(spec) : "BestEffort" };
  },
  validate(obj, old) {
    const errors = podSpecErrors((obj as Pod).spec, "spec");
    if (old && errors.length === 0) errors.push(...podUpdateErrors((obj as Pod).spec, (old as Pod).spec));
    return errors;
  },
};

/** Is the pod bound to a node and not finished, so its deletion must go through the kubelet? */
export function needsGracefulDeletion(pod: KObject): boolean {
  const p = pod as Pod;
  const phase = p.status?.phase;
  return !!p.spec?.nodeName && phase !== "Succeeded" && phase !== "Failed";
}

/** Marks a pod's readiness false (its Ready and ContainersReady conditions, its containers). */
export function markPodNotReady(pod: Pod, now: string, reason: string): void {
  const status = pod.status ?? (pod.status = {});
  for (const c of status.conditions ?? []) {
    if ((c.type === "Ready" || c.type === "ContainersReady") && c.status === "True") {
      c.status = "False";
      c.reason = reason;
      c.lastTransitionTime = now;
    }
  }
  for (const cs of status.containerStatuses ?? []) cs.ready = false;
}
