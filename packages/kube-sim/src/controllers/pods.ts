/** Pod facts the controllers share: readiness, availability, activity, deletion order. */
import type { Condition, KObject, Pod } from "../kinds.js";

function readyCondition(pod: Pod): Condition | undefined {
  return pod.status?.conditions?.find((c) => c.type === "Ready");
}

export function isPodReady(pod: KObject): boolean {
  return readyCondition(pod as Pod)?.status === "True";
}

/** Ready for at least `minReadySeconds` (the milliseconds left otherwise). */
export function availableIn(pod: KObject, minReadySeconds: number, now: number): number | undefined {
  const ready = readyCondition(pod as Pod);
  if (ready?.status !== "True") return undefined;
  if (minReadySeconds <= 0 || !ready.lastTransitionTime) return 0;
  return Math.max(0, Date.parse(ready.lastTransitionTime) + minReadySeconds * 1000 - now);
}

/** Neither terminating nor finished: a pod a ReplicaSet counts. */
export function isPodActive(pod: KObject): boolean {
  const phase = (pod as Pod).status?.phase;
  return pod.metadata.deletionTimestamp === undefined && phase !== "Succeeded" && phase !== "Failed";
}

function rank(pod: KObject): number {
  const phase = (pod as Pod).status?.phase;
  const scheduled = (pod as Pod).spec?.nodeName ? 1 : 0;
  const running = phase === "Running" ? 2 : phase === "Pending" ? 0 : 1;
  return scheduled * 100 + running * 10 + (isPodReady(pod) ? 1 : 0);
}

/**
 * The order in which a ReplicaSet gives up pods, as a real controller: unscheduled before
 * scheduled, pending before running, not ready before ready, then the newest first.
 */
export function deletionOrder(a: KObject, b: KObject): number {
  const byRank = rank(a) - rank(b);
  if (byRank !== 0) return byRank;
  const ta = a.metadata.creationTimestamp ?? "";
  const tb = b.metadata.creationTimestamp ?? "";
  if (ta !== tb) return ta > tb ? -1 : 1;
  return (a.metadata.name ?? "") < (b.metadata.name ?? "") ? 1 : -1;
}

/** Drops zero counters, as the real status structs do with `omitempty`. */
export function withoutZeros<T extends object>(status: T, keep: readonly string[] = []): T {
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(status)) if (v !== 0 || keep.includes(k)) out[k] = v;
  return out as T;
}
