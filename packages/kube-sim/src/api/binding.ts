/**
 * The `pods/binding` subresource: what a scheduler POSTs to place a pod on a node. As the real
 * BindingREST: the Binding names the pod and a target Node; the pod must be unassigned and not
 * being deleted (409 otherwise); its uid / resourceVersion are preconditions when given; the
 * binding's annotations are merged into the pod's; the pod gets spec.nodeName and the condition
 * PodScheduled=True in one write.
 */
import type { Condition, KObject, Pod } from "../kinds.js";
import { clone, isPlainObject, timestamp } from "../machinery/objects.js";
import type { ApiCore, WriteContext } from "./core.js";
import { badRequest, conflict, invalid, notFound } from "./errors.js";
import type { ResourceType } from "./resources.js";

export interface Binding {
  apiVersion?: string;
  kind?: string;
  metadata?: { name?: string; uid?: string; resourceVersion?: string; annotations?: Record<string, string> };
  target?: { kind?: string; name?: string; apiVersion?: string };
}

const BINDING = { group: "", resource: "pods/binding" };

function checkBinding(body: unknown, name: string): Binding {
  if (!isPlainObject(body)) throw badRequest("the body of the request could not be decoded as a Binding");
  const binding = body as Binding;
  if (binding.kind !== undefined && binding.kind !== "Binding") throw badRequest(`the kind in the data (${String(binding.kind)}) does not match the expected kind (Binding)`);
  if ((binding.metadata?.name ?? "") !== name) throw badRequest("name in URL does not match name in Binding object");
  const target = binding.target;
  if (!target?.name) throw invalid("Binding", "", name, [{ type: "Required", field: "target.name" }]);
  if (target.kind && target.kind !== "Node") throw invalid("Binding", "", name, [{ type: "NotSupported", field: "target.kind", value: target.kind, detail: `supported values: "Node", "<empty>"` }]);
  return binding;
}

/** The pod `name` with spec.nodeName set and PodScheduled=True (a fresh copy, not committed). */
function bound(pod: Pod, node: string, annotations: Record<string, string> | undefined): Pod {
  const next = clone(pod);
  next.spec.nodeName = node;
  if (annotations && Object.keys(annotations).length > 0) next.metadata.annotations = { ...next.metadata.annotations, ...annotations };
  const status = (next.status ??= {});
  const conditions = (status.conditions ?? []).filter((c) => c.type !== "PodScheduled");
  const scheduled: Condition = { type: "PodScheduled", status: "True", lastProbeTime: null, lastTransitionTime: timestamp() };
  status.conditions = [...conditions, scheduled];
  return next;
}

/** Binds pod `namespace/name` as the Binding `body` says; the HTTP handler and kube-sim's scheduler share it. */
export function bindPod(core: ApiCore, pods: ResourceType, namespace: string, name: string, body: unknown, ctx: WriteContext): KObject {
  const binding = checkBinding(body, name);
  const pod = core.find(pods, namespace, name) as Pod | undefined;
  if (!pod) throw notFound(pods, name);
  const meta = binding.metadata ?? {};
  if (meta.uid && meta.uid !== pod.metadata.uid) throw conflict(BINDING, name, `Precondition failed: UID in precondition: ${meta.uid}, UID in object meta: ${pod.metadata.uid ?? ""}`);
  if (meta.resourceVersion && meta.resourceVersion !== pod.metadata.resourceVersion) throw conflict(BINDING, name);
  if (pod.metadata.deletionTimestamp) throw conflict(BINDING, name, `pod ${name} is being deleted, cannot be assigned to a host`);
  if (pod.spec.nodeName) throw conflict(BINDING, name, `pod ${name} is already assigned to node "${pod.spec.nodeName}"`);
  const next = bound(pod, binding.target?.name ?? "", meta.annotations);
  if (!ctx.dryRun) {
    const stored = core.store.commit("MODIFIED", pods.rkey, next, pod);
    core.recordSystem("create", pods, stored, ctx, "binding");
  }
  return { kind: "Status", apiVersion: "v1", metadata: {}, status: "Success", code: 201 };
}
