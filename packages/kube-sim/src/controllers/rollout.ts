/**
 * The arithmetic of a Deployment rollout, without I/O: the pod-template hash, the desired
 * replica count of every ReplicaSet (RollingUpdate with maxSurge / maxUnavailable, or Recreate),
 * and the Deployment's status counters.
 */
import type { Deployment, DeploymentStatus, PodTemplateSpec, ReplicaSet } from "../kinds.js";
import { clone, deepEqual, fnv32a, safeEncode, stableStringify } from "../machinery/objects.js";
import { resolveIntOrPercent } from "../machinery/validation.js";
import { withoutZeros } from "./pods.js";

export const HASH_LABEL = "pod-template-hash";
export const REVISION = "deployment.kubernetes.io/revision";
export const DESIRED = "deployment.kubernetes.io/desired-replicas";
export const MAX_REPLICAS = "deployment.kubernetes.io/max-replicas";

export function templateHash(template: PodTemplateSpec, collisionCount = 0): string {
  const text = stableStringify(template) + (collisionCount > 0 ? `#${collisionCount}` : "");
  return safeEncode(String(fnv32a(text)));
}

/** The template of a ReplicaSet without its pod-template-hash label, to compare with a Deployment's. */
function templateWithoutHash(rs: ReplicaSet): PodTemplateSpec {
  const t = clone(rs.spec.template);
  if (t.metadata?.labels) {
    delete t.metadata.labels[HASH_LABEL];
    if (Object.keys(t.metadata.labels).length === 0) delete t.metadata.labels;
  }
  return t;
}

function normalized(t: PodTemplateSpec): PodTemplateSpec {
  const copy = clone(t);
  if (copy.metadata && Object.keys(copy.metadata).every((k) => copy.metadata?.[k] === undefined || deepEqual(copy.metadata[k], {}))) copy.metadata = {};
  if (copy.metadata?.labels && Object.keys(copy.metadata.labels).length === 0) delete copy.metadata.labels;
  return copy;
}

export function isCurrent(d: Deployment, rs: ReplicaSet): boolean {
  return deepEqual(normalized(templateWithoutHash(rs)), normalized(d.spec.template));
}

export function revisionOf(rs: ReplicaSet): number {
  return Number(rs.metadata.annotations?.[REVISION] ?? "0") || 0;
}

export function specReplicas(rs: ReplicaSet): number {
  return rs.spec.replicas ?? 1;
}

function available(rs: ReplicaSet): number {
  return rs.status?.availableReplicas ?? 0;
}

export function surgeAndUnavailable(d: Deployment): { surge: number; unavailable: number } {
  const replicas = d.spec.replicas ?? 1;
  if (d.spec.strategy?.type === "Recreate") return { surge: 0, unavailable: replicas };
  const ru = d.spec.strategy?.rollingUpdate;
  const surge = resolveIntOrPercent(ru?.maxSurge, replicas, true, "25%");
  const unavailable = resolveIntOrPercent(ru?.maxUnavailable, replicas, false, "25%");
  return surge === 0 && unavailable === 0 ? { surge, unavailable: 1 } : { surge, unavailable };
}

/**
 * Desired spec.replicas per ReplicaSet name. `olds` are sorted oldest first. RollingUpdate: the
 * new ReplicaSet grows while the total stays within replicas + maxSurge; old ones shrink, first
 * by their unavailable pods, then while availability stays at replicas - maxUnavailable.
 */
export function plan(d: Deployment, newRs: ReplicaSet, olds: ReplicaSet[]): Map<string, number> {
  const want = new Map<string, number>([[newRs.metadata.name ?? "", specReplicas(newRs)], ...olds.map((o) => [o.metadata.name ?? "", specReplicas(o)] as [string, number])]);
  const replicas = d.spec.replicas ?? 1;
  const newName = newRs.metadata.name ?? "";
  const oldsActive = olds.filter((o) => specReplicas(o) > 0);
  if (oldsActive.length === 0) return want.set(newName, replicas);
  if (d.spec.strategy?.type === "Recreate") return recreate(want, newName, olds, replicas);
  const { surge, unavailable } = surgeAndUnavailable(d);
  const total = () => [...want.values()].reduce((a, b) => a + b, 0);
  const current = want.get(newName) ?? 0;
  if (current > replicas) want.set(newName, replicas);
  else want.set(newName, current + Math.max(0, Math.min(replicas + surge - total(), replicas - current)));
  scaleDownOld(want, newRs, olds, replicas - unavailable, total());
  const excess = total() - (replicas + surge);
  if (excess > 0) shrinkOldest(want, olds, excess);
  return want;
}

function recreate(want: Map<string, number>, newName: string, olds: ReplicaSet[], replicas: number): Map<string, number> {
  for (const o of olds) want.set(o.metadata.name ?? "", 0);
  const oldPods = olds.reduce((n, o) => n + (o.status?.replicas ?? 0), 0);
  const oldSpecs = olds.reduce((n, o) => n + specReplicas(o), 0);
  if (oldPods === 0 && oldSpecs === 0) want.set(newName, replicas);
  return want;
}

function scaleDownOld(want: Map<string, number>, newRs: ReplicaSet, olds: ReplicaSet[], minAvailable: number, allPods: number): void {
  const newUnavailable = Math.max(0, specReplicas(newRs) - available(newRs));
  let budget = allPods - minAvailable - newUnavailable;
  for (const o of olds) {
    if (budget <= 0) return;
    const name = o.metadata.name ?? "";
    const cur = want.get(name) ?? 0;
    const cut = Math.min(budget, Math.max(0, cur - available(o)));
    want.set(name, cur - cut);
    budget -= cut;
  }
  const availableAll = available(newRs) + olds.reduce((n, o) => n + available(o), 0);
  shrinkOldest(want, olds, Math.min(budget, availableAll - minAvailable));
}

function shrinkOldest(want: Map<string, number>, olds: ReplicaSet[], count: number): void {
  let left = count;
  for (const o of olds) {
    if (left <= 0) return;
    const name = o.metadata.name ?? "";
    const cur = want.get(name) ?? 0;
    const cut = Math.min(cur, left);
    want.set(name, cur - cut);
    left -= cut;
  }
}

/** The counters of a Deployment's status from its ReplicaSets. */
export function counters(d: Deployment, newRs: ReplicaSet | undefined, all: ReplicaSet[]): DeploymentStatus {
  const sum = (f: (rs: ReplicaSet) => number) => all.reduce((n, rs) => n + f(rs), 0);
  const availableReplicas = sum(available);
  return withoutZeros(
    {
      observedGeneration: d.metadata.generation ?? 1,
      replicas: sum((rs) => rs.status?.replicas ?? 0),
      updatedReplicas: newRs?.status?.replicas ?? 0,
      readyReplicas: sum((rs) => rs.status?.readyReplicas ?? 0),
      availableReplicas,
      unavailableReplicas: Math.max(0, (d.spec.replicas ?? 1) - availableReplicas),
    },
    ["observedGeneration"],
  );
}
