/**
 * A Deployment's status: counters from its ReplicaSets, and the Available and Progressing
 * conditions with the reasons and messages of the real deployment controller.
 */
import type { Condition, Deployment, DeploymentStatus, ReplicaSet } from "../kinds.js";
import { timestamp } from "../machinery/objects.js";
import { counters, surgeAndUnavailable } from "./rollout.js";

export interface StatusInput {
  d: Deployment;
  newRs: ReplicaSet;
  all: ReplicaSet[];
  /** The new ReplicaSet was created in this pass. */
  created: boolean;
  /** Some ReplicaSet was scaled in this pass. */
  scaled: boolean;
  now: number;
}

function condition(type: string, status: Condition["status"], reason: string, message: string, now: string, old: Condition | undefined): Condition {
  const same = old?.status === status;
  const unchanged = same && old?.reason === reason && old?.message === message;
  return {
    type,
    status,
    lastUpdateTime: unchanged ? (old?.lastUpdateTime ?? now) : now,
    lastTransitionTime: same ? (old?.lastTransitionTime ?? now) : now,
    reason,
    message,
  };
}

function availableCondition(d: Deployment, s: DeploymentStatus, now: string): Condition {
  const old = d.status?.conditions?.find((c) => c.type === "Available");
  const min = (d.spec.replicas ?? 1) - surgeAndUnavailable(d).unavailable;
  if ((s.availableReplicas ?? 0) >= min) return condition("Available", "True", "MinimumReplicasAvailable", "Deployment has minimum availability.", now, old);
  return condition("Available", "False", "MinimumReplicasUnavailable", "Deployment does not have minimum availability.", now, old);
}

function isComplete(d: Deployment, s: DeploymentStatus): boolean {
  const r = d.spec.replicas ?? 1;
  return (s.updatedReplicas ?? 0) === r && (s.replicas ?? 0) === r && (s.availableReplicas ?? 0) === r && (s.observedGeneration ?? 0) >= (d.metadata.generation ?? 1);
}

function madeProgress(old: DeploymentStatus | undefined, s: DeploymentStatus): boolean {
  if (!old) return true;
  return (["replicas", "updatedReplicas", "readyReplicas", "availableReplicas"] as const).some((k) => (old[k] ?? 0) !== (s[k] ?? 0));
}

function progressingCondition(input: StatusInput, s: DeploymentStatus, now: string): Condition {
  const { d, newRs, created, scaled } = input;
  const old = d.status?.conditions?.find((c) => c.type === "Progressing");
  const rs = newRs.metadata.name ?? "";
  if (isComplete(d, s)) return condition("Progressing", "True", "NewReplicaSetAvailable", `ReplicaSet "${rs}" has successfully progressed.`, now, old);
  if (created) return condition("Progressing", "True", "NewReplicaSetCreated", `Created new replica set "${rs}"`, now, old);
  if (scaled || madeProgress(d.status, s) || !old) {
    const next = condition("Progressing", "True", "ReplicaSetUpdated", `ReplicaSet "${rs}" is progressing.`, now, old);
    return { ...next, lastUpdateTime: now };
  }
  if (old.status === "True" && deadlinePassed(d, old, input.now)) {
    return condition("Progressing", "False", "ProgressDeadlineExceeded", `ReplicaSet "${rs}" has timed out progressing.`, now, old);
  }
  return old;
}

function deadlinePassed(d: Deployment, c: Condition, now: number): boolean {
  const seconds = d.spec.progressDeadlineSeconds ?? 600;
  return !!c.lastUpdateTime && Date.parse(c.lastUpdateTime) + seconds * 1000 <= now;
}

/** Milliseconds until the progress deadline of a rollout in progress, if one is running. */
export function msToDeadline(d: Deployment, now: number): number | undefined {
  const c = d.status?.conditions?.find((x) => x.type === "Progressing");
  if (!c || c.status !== "True" || c.reason === "NewReplicaSetAvailable" || !c.lastUpdateTime) return undefined;
  return Math.max(0, Date.parse(c.lastUpdateTime) + (d.spec.progressDeadlineSeconds ?? 600) * 1000 - now);
}

export function deploymentStatus(input: StatusInput): DeploymentStatus {
  const { d, newRs, all } = input;
  const s = counters(d, newRs, all);
  const now = timestamp(input.now);
  const conditions = [availableCondition(d, s, now), progressingCondition(input, s, now)];
  const status: DeploymentStatus = { ...s, conditions };
  if (d.status?.collisionCount !== undefined) status.collisionCount = d.status.collisionCount;
  return status;
}
