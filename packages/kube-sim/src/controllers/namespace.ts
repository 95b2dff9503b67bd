/**
 * Namespace lifecycle: a namespace marked for deletion (phase Terminating) has every object in it
 * deleted (pods gracefully), and once nothing is left its `kubernetes` finalizer is removed and
 * the namespace goes.
 */
import type { KObject } from "../kinds.js";
import { clone } from "../machinery/objects.js";
import type { StoreEvent } from "../store/store.js";
import { deleteAsSystem, isDeleting, RKEY, typeOf, type ControllerContext } from "./context.js";
import { WorkQueue } from "./queue.js";

const RETRY_MS = 250;

export function namespaceController(ctx: ControllerContext): { stop(): void } {
  const { core } = ctx;
  const nsType = typeOf(core, RKEY.namespaces);
  const terminating = new Set<string>();

  /** Deletes what is left in the namespace; the number of objects still there. */
  function empty(namespace: string): number {
    let left = 0;
    for (const rt of core.registry.storedTypes()) {
      if (!rt.namespaced) continue;
      for (const obj of [...core.store.iterate(rt.rkey, namespace)]) {
        if (!isDeleting(obj)) deleteAsSystem(core, rt, obj, { propagationPolicy: "Background" });
      }
      left += core.store.count(rt.rkey, namespace);
    }
    return left;
  }

  function reconcile(name: string): void {
    const ns = core.store.get(RKEY.namespaces, "", name);
    if (!ns || !isDeleting(ns)) {
      terminating.delete(name);
      return;
    }
    terminating.add(name);
    if (empty(name) > 0) {
      queue.addAfter(name, RETRY_MS);
      return;
    }
    const next = clone(ns) as KObject & { spec?: { finalizers?: string[] } };
    next.spec = { ...next.spec, finalizers: [] };
    core.commitInternal(nsType, next, ns);
  }

  const queue = new WorkQueue("namespace-controller", reconcile, ctx.log);
  const onEvent = (ev: StoreEvent): void => {
    if (ev.rkey === RKEY.namespaces) {
      if (isDeleting(ev.object) && ev.type !== "DELETED") queue.add(ev.object.metadata.name ?? "");
      else terminating.delete(ev.object.metadata.name ?? "");
      return;
    }
    const ns = ev.object.metadata.namespace;
    if (ev.type === "DELETED" && ns && terminating.has(ns)) queue.add(ns);
  };
  const unsubscribe = core.store.subscribe(onEvent);
  return {
    stop() {
      unsubscribe();
      queue.stop();
    },
  };
}
