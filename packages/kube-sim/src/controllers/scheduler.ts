/**
 * kube-sim's scheduler: binds each pending pod (no spec.nodeName, schedulerName
 * `default-scheduler`, not being deleted) to a node through the `pods/binding` subresource, as
 * kube-scheduler does. A node fits when it is Ready, not cordoned, its NoSchedule / NoExecute
 * taints are tolerated and the pod's nodeSelector matches its labels; among those the one with
 * the fewest pods wins. No resource accounting (requests, limits, allocatable) and no affinity
 * rules. A pod nothing fits gets PodScheduled=False, reason Unschedulable, with the reasons
 * counted as kube-scheduler words them, and is tried again whenever a node changes.
 */
import { SYSTEM } from "../api/core.js";
import { bindPod } from "../api/binding.js";
import { ApiError } from "../api/errors.js";
import type { Condition, KObject, Node, Pod, Taint, Toleration } from "../kinds.js";
import { timestamp } from "../machinery/objects.js";
import type { StoreEvent } from "../store/store.js";
import { nsKey, refOf, RKEY, splitKey, typeOf, type ControllerContext } from "./context.js";
import { WorkQueue } from "./queue.js";

const SCHEDULER = "default-scheduler";
const NOT_READY_TAINT: Taint = { key: "node.kubernetes.io/not-ready", effect: "NoSchedule" };

function needsScheduling(pod: Pod): boolean {
  const phase = pod.status?.phase;
  return (
    !pod.spec.nodeName &&
    !pod.metadata.deletionTimestamp &&
    ((pod.spec.schedulerName as string | undefined) ?? SCHEDULER) === SCHEDULER &&
    phase !== "Succeeded" &&
    phase !== "Failed" &&
    !((pod.spec.schedulingGates as unknown[] | undefined)?.length)
  );
}

function isReady(node: Node): boolean {
  return node.status?.conditions?.some((c) => c.type === "Ready" && c.status === "True") ?? false;
}

function tolerates(tolerations: readonly Toleration[], taint: Taint): boolean {
  return tolerations.some((t) => {
    if (t.effect && t.effect !== taint.effect) return false;
    if (!t.key) return t.operator === "Exists";
    if (t.key !== taint.key) return false;
    return t.operator === "Exists" || (t.value ?? "") === (taint.value ?? "");
  });
}

/** Why `node` cannot take `pod`, in kube-scheduler's words; undefined when it fits. */
export function misfit(pod: Pod, node: Node): string | undefined {
  if (node.spec?.unschedulable) return "node(s) were unschedulable";
  const selector = (pod.spec.nodeSelector ?? {}) as Record<string, string>;
  if (Object.entries(selector).some(([k, v]) => node.metadata.labels?.[k] !== v)) return "node(s) didn't match Pod's node affinity/selector";
  const tolerations = (pod.spec.tolerations ?? []) as Toleration[];
  const taints = [...(node.spec?.taints ?? []), ...(isReady(node) ? [] : [NOT_READY_TAINT])];
  const untolerated = taints.find((t) => (t.effect === "NoSchedule" || t.effect === "NoExecute") && !tolerates(tolerations, t));
  if (untolerated) return `node(s) had untolerated taint {${untolerated.key}: ${untolerated.value ?? ""}}`;
  return undefined;
}

/** kube-scheduler's FailedScheduling message: `0/3 nodes are available: 2 node(s) were unschedulable, 1 …`. */
function unschedulableMessage(reasons: string[]): string {
  if (reasons.length === 0) return "no nodes available to schedule pods";
  const counts = new Map<string, number>();
  for (const r of reasons) counts.set(r, (counts.get(r) ?? 0) + 1);
  const parts = [...counts].sort(([a], [b]) => (a < b ? -1 : 1)).map(([r, n]) => `${n} ${r}`);
  return `0/${reasons.length} nodes are available: ${parts.join(", ")}.`;
}

export function schedulerController(ctx: ControllerContext): { stop(): void } {
  const { core } = ctx;
  const podType = typeOf(core, RKEY.pods);
  const waiting = new Set<string>();
  // kube-scheduler writes through the events.k8s.io recorder.
  const events = ctx.recorder(SCHEDULER, "events");

  function podsOn(node: string): number {
    let n = 0;
    for (const p of core.store.iterate(RKEY.pods)) if ((p as Pod).spec.nodeName === node && !p.metadata.deletionTimestamp) n++;
    return n;
  }

  function choose(fits: Node[]): Node | undefined {
    if (fits.length <= 1) return fits[0];
    return fits.map((n) => ({ n, load: podsOn(n.metadata.name ?? "") })).sort((a, b) => a.load - b.load)[0]?.n;
  }

  function reconcile(key: string): void {
    const [namespace, name] = splitKey(key);
    const pod = core.store.get(RKEY.pods, namespace, name) as Pod | undefined;
    if (!pod || !needsScheduling(pod)) return void waiting.delete(key);
    const nodes = [...core.store.iterate(RKEY.nodes)] as Node[];
    const node = choose(nodes.filter((n) => misfit(pod, n) === undefined));
    if (!node) {
      waiting.add(key);
      return markUnschedulable(pod, unschedulableMessage(nodes.map((n) => misfit(pod, n) ?? "")));
    }
    waiting.delete(key);
    const binding = { apiVersion: "v1", kind: "Binding", metadata: { name, namespace, uid: pod.metadata.uid }, target: { kind: "Node", name: node.metadata.name } };
    try {
      bindPod(core, podType, namespace, name, binding, SYSTEM);
    } catch (err) {
      if (err instanceof ApiError && (err.code === 404 || err.code === 409)) return; // gone, or bound meanwhile
      throw err;
    }
    events.event(refOf(pod), "Normal", "Scheduled", `Successfully assigned ${namespace}/${name} to ${node.metadata.name ?? ""}`, "Binding");
  }

  function markUnschedulable(pod: Pod, message: string): void {
    const old = pod.status?.conditions?.find((c) => c.type === "PodScheduled");
    if (old?.status === "False" && old.message === message) return;
    events.event(refOf(pod), "Warning", "FailedScheduling", message, "Scheduling");
    const condition: Condition = { type: "PodScheduled", status: "False", reason: "Unschedulable", message, lastProbeTime: null, lastTransitionTime: timestamp() };
    const conditions = [...(pod.status?.conditions ?? []).filter((c) => c.type !== "PodScheduled"), condition];
    core.update(podType, pod.metadata.namespace ?? "", pod.metadata.name ?? "", { ...pod, status: { ...pod.status, conditions } }, SYSTEM, "status");
  }

  const queue = new WorkQueue("scheduler", reconcile, ctx.log);
  const keyOf = (obj: KObject) => nsKey(obj.metadata.namespace ?? "", obj.metadata.name ?? "");
  const onEvent = (ev: StoreEvent): void => {
    if (ev.rkey === RKEY.pods) {
      if (ev.type === "DELETED") waiting.delete(keyOf(ev.object));
      else if (needsScheduling(ev.object as Pod)) queue.add(keyOf(ev.object));
    } else if (ev.rkey === RKEY.nodes) for (const key of waiting) queue.add(key);
  };
  const unsubscribe = core.store.subscribe(onEvent);
  for (const pod of core.store.iterate(RKEY.pods)) if (needsScheduling(pod as Pod)) queue.add(keyOf(pod));
  return {
    stop() {
      unsubscribe();
      queue.stop();
    },
  };
}
