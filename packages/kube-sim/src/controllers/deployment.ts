/**
 * The Deployment controller: one ReplicaSet per pod template (`<deployment>-<pod-template-hash>`),
 * rolled from the old ones to the new one by the Deployment's strategy, old ReplicaSets pruned to
 * revisionHistoryLimit, and the Deployment's status and revision annotation kept current.
 */
import { SYSTEM } from "../api/core.js";
import type { Deployment, KObject, ReplicaSet } from "../kinds.js";
import { clone, deepEqual } from "../machinery/objects.js";
import type { StoreEvent } from "../store/store.js";
import { deleteAsSystem, isDeleting, nsKey, refOf, RKEY, splitKey, typeOf, type ControllerContext } from "./context.js";
import { deploymentStatus, msToDeadline } from "./deployment-status.js";
import { controllerOf } from "./owners.js";
import { WorkQueue } from "./queue.js";
import { DESIRED, HASH_LABEL, isCurrent, MAX_REPLICAS, plan, REVISION, revisionOf, specReplicas, surgeAndUnavailable, templateHash } from "./rollout.js";

function byRevision(a: ReplicaSet, b: ReplicaSet): number {
  return revisionOf(a) - revisionOf(b) || ((a.metadata.creationTimestamp ?? "") < (b.metadata.creationTimestamp ?? "") ? -1 : 1);
}

function replicaSetBody(d: Deployment, hash: string, name: string, replicas: number, revision: number): KObject {
  const t = clone(d.spec.template);
  const labels = { ...t.metadata?.labels, [HASH_LABEL]: hash };
  const sel = d.spec.selector;
  const annotations = { [REVISION]: String(revision), [DESIRED]: String(d.spec.replicas ?? 1), [MAX_REPLICAS]: String((d.spec.replicas ?? 1) + surgeAndUnavailable(d).surge) };
  return {
    apiVersion: "apps/v1",
    kind: "ReplicaSet",
    metadata: {
      name,
      labels,
      annotations,
      ownerReferences: [{ apiVersion: "apps/v1", kind: "Deployment", name: d.metadata.name ?? "", uid: d.metadata.uid ?? "", controller: true, blockOwnerDeletion: true }],
    },
    spec: {
      replicas,
      ...(d.spec.minReadySeconds ? { minReadySeconds: d.spec.minReadySeconds } : {}),
      selector: { ...sel, matchLabels: { ...sel.matchLabels, [HASH_LABEL]: hash } },
      template: { ...t, metadata: { ...t.metadata, labels } },
    },
  };
}

export function deploymentController(ctx: ControllerContext): { stop(): void } {
  const { core, owners } = ctx;
  const dType = typeOf(core, RKEY.deployments);
  const rsType = typeOf(core, RKEY.replicasets);
  const events = ctx.recorder("deployment-controller");

  function recordScaling(d: Deployment, rs: string, from: number, to: number): void {
    events.event(refOf(d), "Normal", "ScalingReplicaSet", `Scaled ${to > from ? "up" : "down"} replica set ${rs} from ${from} to ${to}`);
  }

  function ensureNewReplicaSet(d: Deployment, olds: ReplicaSet[]): ReplicaSet {
    const revision = Math.max(0, ...olds.map(revisionOf)) + 1;
    const namespace = d.metadata.namespace ?? "";
    for (let collisions = d.status?.collisionCount ?? 0; ; collisions++) {
      const hash = templateHash(d.spec.template, collisions);
      const name = `${d.metadata.name ?? ""}-${hash}`;
      const existing = core.store.get(RKEY.replicasets, namespace, name) as ReplicaSet | undefined;
      if (existing && controllerOf(existing)?.uid === d.metadata.uid && isCurrent(d, existing)) return existing;
      if (existing) continue;
      const draft = replicaSetBody(d, hash, name, 0, revision) as ReplicaSet;
      const replicas = plan(d, draft, olds).get(name) ?? 0;
      const created = core.create(rsType, namespace, replicaSetBody(d, hash, name, replicas, revision), SYSTEM) as ReplicaSet;
      if (replicas > 0) recordScaling(d, name, 0, replicas);
      return created;
    }
  }

  /** Writes the planned replica counts (and, on the new one, a revision above the old ones). */
  function applyPlan(d: Deployment, newRs: ReplicaSet, olds: ReplicaSet[]): boolean {
    const want = plan(d, newRs, olds);
    const top = Math.max(0, ...olds.map(revisionOf));
    let scaled = false;
    for (const rs of [newRs, ...olds]) {
      const name = rs.metadata.name ?? "";
      const replicas = want.get(name) ?? specReplicas(rs);
      const next = clone(rs);
      next.spec.replicas = replicas;
      const ann = (next.metadata.annotations ??= {});
      if (rs === newRs) {
        if (revisionOf(rs) <= top) ann[REVISION] = String(top + 1);
        ann[DESIRED] = String(d.spec.replicas ?? 1);
        ann[MAX_REPLICAS] = String((d.spec.replicas ?? 1) + surgeAndUnavailable(d).surge);
      }
      if (replicas !== specReplicas(rs)) scaled = true;
      if (replicas === specReplicas(rs) && deepEqual(ann, rs.metadata.annotations)) continue;
      core.update(rsType, rs.metadata.namespace ?? "", name, next, SYSTEM);
      if (replicas !== specReplicas(rs)) recordScaling(d, name, specReplicas(rs), replicas);
    }
    return scaled;
  }

  function pruneHistory(d: Deployment, olds: ReplicaSet[]): void {
    const limit = d.spec.revisionHistoryLimit ?? 10;
    const idle = olds.filter((rs) => specReplicas(rs) === 0 && (rs.status?.replicas ?? 0) === 0 && !isDeleting(rs));
    for (const rs of idle.slice(0, Math.max(0, idle.length - limit))) deleteAsSystem(core, rsType, rs);
  }

  function owned(d: Deployment): ReplicaSet[] {
    return owners.controlled(d.metadata.uid ?? "", RKEY.replicasets) as ReplicaSet[];
  }

  function reconcile(key: string): void {
    const [namespace, name] = splitKey(key);
    const d = core.store.get(RKEY.deployments, namespace, name) as Deployment | undefined;
    if (!d || isDeleting(d)) return;
    const all = owned(d);
    const olds = all.filter((rs) => !isCurrent(d, rs)).sort(byRevision);
    let newRs = all.find((rs) => isCurrent(d, rs));
    const created = !newRs;
    newRs ??= ensureNewReplicaSet(d, olds);
    const scaled = applyPlan(d, newRs, olds);
    pruneHistory(d, olds);
    writeStatus(namespace, name, created, scaled);
  }

  function writeStatus(namespace: string, name: string, created: boolean, scaled: boolean): void {
    const d = core.store.get(RKEY.deployments, namespace, name) as Deployment | undefined;
    if (!d || isDeleting(d)) return;
    const all = owned(d);
    const newRs = all.find((rs) => isCurrent(d, rs));
    if (!newRs) return;
    const now = Date.now();
    const revision = newRs.metadata.annotations?.[REVISION];
    let current: Deployment = d;
    if (revision && d.metadata.annotations?.[REVISION] !== revision) {
      const next = clone(d);
      next.metadata.annotations = { ...next.metadata.annotations, [REVISION]: revision };
      current = core.update(dType, namespace, name, next, SYSTEM) as Deployment;
    }
    const status = deploymentStatus({ d: current, newRs, all, created, scaled, now });
    core.update(dType, namespace, name, { ...current, status }, SYSTEM, "status");
    const wait = msToDeadline({ ...current, status }, now);
    if (wait !== undefined) queue.addAfter(key(namespace, name), wait + 50);
  }

  const key = nsKey;
  const queue = new WorkQueue("deployment-controller", reconcile, ctx.log);
  const onEvent = (ev: StoreEvent): void => {
    if (ev.rkey === RKEY.deployments) queue.add(key(ev.object.metadata.namespace ?? "", ev.object.metadata.name ?? ""));
    if (ev.rkey !== RKEY.replicasets) return;
    const owner = controllerOf(ev.object) ?? (ev.old ? controllerOf(ev.old) : undefined);
    if (owner?.kind === "Deployment") queue.add(key(ev.object.metadata.namespace ?? "", owner.name));
  };
  const unsubscribe = core.store.subscribe(onEvent);
  for (const d of core.store.iterate(RKEY.deployments)) queue.add(key(d.metadata.namespace ?? "", d.metadata.name ?? ""));
  return {
    stop() {
      unsubscribe();
      queue.stop();
    },
  };
}
