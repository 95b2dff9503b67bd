import type { V1Pod } from "@kubernetes/client-node";
import { LABEL_APP, LABEL_REVISION } from "@baton/runtime";

// Reading pods as a person would: which are Ready, and why the others are not.

export interface PodSummary {
  name: string;
  phase: string;
  ready: boolean;
  reason?: string;
}

/** The live pods of one revision (pods being deleted do not count). */
export function podsOfRevision(pods: readonly V1Pod[], app: string, revision: number): V1Pod[] {
  return pods.filter(
    (p) =>
      p.metadata?.labels?.[LABEL_APP] === app &&
      p.metadata?.labels?.[LABEL_REVISION] === String(revision) &&
      (p.metadata?.deletionTimestamp === undefined || p.metadata?.deletionTimestamp === null),
  );
}

export function isPodReady(pod: V1Pod): boolean {
  return pod.status?.conditions?.some((c) => c.type === "Ready" && c.status === "True") ?? false;
}

export function countReady(pods: readonly V1Pod[]): number {
  return pods.filter(isPodReady).length;
}

/** Why a pod is not Ready: a container's waiting or terminated reason, else the Ready condition's. */
export function notReadyReason(pod: V1Pod): string {
  const statuses = [...(pod.status?.initContainerStatuses ?? []), ...(pod.status?.containerStatuses ?? [])];
  for (const s of statuses) {
    const waiting = s.state?.waiting;
    if (waiting?.reason) return waiting.message ? `${waiting.reason} (${waiting.message})` : waiting.reason;
    const terminated = s.state?.terminated;
    if (terminated?.reason) return `${terminated.reason} (exit ${terminated.exitCode})`;
  }
  const cond = pod.status?.conditions?.find((c) => c.type === "Ready");
  if (cond?.reason) return cond.message ? `${cond.reason}: ${cond.message}` : cond.reason;
  const phase = pod.status?.phase ?? "Pending";
  return phase === "Running" ? "not Ready (readiness probe not passing)" : phase;
}

export function summarize(pod: V1Pod): PodSummary {
  const ready = isPodReady(pod);
  return {
    name: pod.metadata?.name ?? "(unnamed)",
    phase: pod.status?.phase ?? "Pending",
    ready,
    ...(ready ? {} : { reason: notReadyReason(pod) }),
  };
}

/** e.g. "1 of 3 pods Ready after 30 s; web-2-abc: ErrImagePull; web-2-def: not Ready (readiness probe not passing)". */
export function failureReason(ready: number, desired: number, seconds: number, pods: readonly PodSummary[]): string {
  const head = `${ready} of ${desired} pods Ready after ${seconds} s`;
  const notReady = pods.filter((p) => !p.ready).map((p) => `${p.name}: ${p.reason ?? p.phase}`);
  if (pods.length === 0) return `${head}; no pods were created`;
  return notReady.length === 0 ? head : `${head}; ${notReady.join("; ")}`;
}
