/**
 * The ReplicaSet controller: keeps the count of a ReplicaSet's active pods at spec.replicas
 * (creating pods from the template, deleting surplus pods gracefully) and writes its status.
 */
import { SYSTEM } from "../api/core.js";
import type { KObject, ReplicaSet } from "../kinds.js";
import { clone, deepEqual, randomSuffix } from "../machinery/objects.js";
import { matchesLabels, fromLabelSelectorObj } from "../machinery/selectors.js";
import type { StoreEvent } from "../store/store.js";
import { deleteAsSystem, isDeleting, nsKey, refOf, RKEY, splitKey, typeOf, type ControllerContext } from "./context.js";
import { controllerOf } from "./owners.js";
import { availableIn, deletionOrder, isPodActive, isPodReady, withoutZeros } from "./pods.js";
import { WorkQueue } from "./queue.js";

function podFor(rs: ReplicaSet): KObject {
  const template = rs.spec.template;
  const name = rs.metadata.name ?? "";
  const meta = template.metadata ?? {};
  return {
    apiVersion: "v1",
    kind: "Pod",
    metadata: {
      name: `${name}-${randomSuffix()}`,
      generateName: `${name}-`,
      labels: { ...meta.labels },
      ...(meta.annotations ? { annotations: { ...meta.annotations } } : {}),
      ownerReferences: [{ apiVersion: "apps/v1", kind: "ReplicaSet", name, uid: rs.metadata.uid ?? "", controller: true, blockOwnerDeletion: true }],
    },
    spec: clone(template.spec),
  };
}

export function replicaSetController(ctx: ControllerContext): { stop(): void } {
  const { core, owners } = ctx;
  const rsType = typeOf(core, RKEY.replicasets);
  const podType = typeOf(core, RKEY.pods);
  const events = ctx.recorder("replicaset-controller");

  function reconcile(key: string): void {
    const [namespace, name] = splitKey(key);
    const rs = core.store.get(RKEY.replicasets, namespace, name) as ReplicaSet | undefined;
    if (!rs) return;
    if (!isDeleting(rs)) scale(rs);
    writeStatus(namespace, name);
  }

  function scale(rs: ReplicaSet): void {
    const active = owners.controlled(rs.metadata.uid ?? "", RKEY.pods).filter(isPodActive);
    const diff = active.length - (rs.spec.replicas ?? 1);
    if (diff > 0) {
      for (const pod of active.sort(deletionOrder).slice(0, diff)) {
        deleteAsSystem(core, podType, pod);
        events.event(refOf(rs), "Normal", "SuccessfulDelete", `Deleted pod: ${pod.metadata.name ?? ""}`);
      }
      return;
    }
    for (let i = 0; i < -diff; i++) {
      const current = core.store.get(RKEY.replicasets, rs.metadata.namespace ?? "", rs.metadata.name ?? "");
      if (!current || current.metadata.uid !== rs.metadata.uid || isDeleting(current)) return;
      const pod = core.create(podType, rs.metadata.namespace ?? "", podFor(current as ReplicaSet), SYSTEM);
      events.event(refOf(current), "Normal", "SuccessfulCreate", `Created pod: ${pod.metadata.name ?? ""}`);
    }
  }

  function writeStatus(namespace: string, name: string): void {
    const rs = core.store.get(RKEY.replicasets, namespace, name) as ReplicaSet | undefined;
    if (!rs) return;
    const now = Date.now();
    const minReady = rs.spec.minReadySeconds ?? 0;
    const active = owners.controlled(rs.metadata.uid ?? "", RKEY.pods).filter(isPodActive);
    const selector = fromLabelSelectorObj(rs.spec.template.metadata?.labels ? { matchLabels: rs.spec.template.metadata.labels } : {});
    let available = 0;
    for (const pod of active) {
      const wait = availableIn(pod, minReady, now);
      if (wait === 0) available++;
      else if (wait !== undefined) queue.addAfter(nsKey(namespace, name), wait + 5);
    }
    const status = withoutZeros(
      {
        replicas: active.length,
        fullyLabeledReplicas: active.filter((p) => matchesLabels(selector, p.metadata.labels)).length,
        readyReplicas: active.filter(isPodReady).length,
        availableReplicas: available,
        observedGeneration: rs.metadata.generation ?? 1,
      },
      ["replicas"],
    );
    if (deepEqual(status, rs.status)) return;
    core.update(rsType, namespace, name, { ...rs, status }, SYSTEM, "status");
  }

  const queue = new WorkQueue("replicaset-controller", reconcile, ctx.log);
  const onEvent = (ev: StoreEvent): void => {
    if (ev.rkey === RKEY.replicasets) queue.add(nsKey(ev.object.metadata.namespace ?? "", ev.object.metadata.name ?? ""));
    if (ev.rkey !== RKEY.pods) return;
    for (const obj of ev.old ? [ev.object, ev.old] : [ev.object]) {
      const owner = controllerOf(obj);
      if (owner?.kind === "ReplicaSet") queue.add(nsKey(obj.metadata.namespace ?? "", owner.name));
    }
  };
  const unsubscribe = core.store.subscribe(onEvent);
  for (const rs of core.store.iterate(RKEY.replicasets)) queue.add(nsKey(rs.metadata.namespace ?? "", rs.metadata.name ?? ""));
  return {
    stop() {
      unsubscribe();
      queue.stop();
    },
  };
}
