/**
 * The garbage collector. Background deletion: an object whose owners are all gone is deleted
 * (pods gracefully); an object that lost some of its owners drops those references. Foreground
 * deletion (`foregroundDeletion` finalizer): the owner's dependents are deleted first, the owner
 * goes when none is left. Orphan deletion (`orphan` finalizer): the dependents lose their
 * reference to the owner, then the owner goes.
 */
import type { ApiCore } from "../api/core.js";
import { FOREGROUND, ORPHAN } from "../api/delete.js";
import type { KObject } from "../kinds.js";
import { clone } from "../machinery/objects.js";
import type { StoreEvent } from "../store/store.js";
import { deleteAsSystem, isDeleting, typeOf, type ControllerContext } from "./context.js";
import type { ObjectRef } from "./owners.js";
import { WorkQueue } from "./queue.js";

/** Removes a finalizer from a stored object (which then goes, when it was the last one). */
export function removeFinalizer(core: ApiCore, obj: KObject, finalizer: string, rkey: string): void {
  const next = clone(obj);
  next.metadata.finalizers = (next.metadata.finalizers ?? []).filter((f) => f !== finalizer);
  if (next.metadata.finalizers.length === 0) delete next.metadata.finalizers;
  core.commitInternal(typeOf(core, rkey), next, obj);
}

export function garbageCollector(ctx: ControllerContext): { stop(): void } {
  const { core, owners } = ctx;
  const refs = new Map<string, ObjectRef>();

  /** A dependent some of whose owners may be gone. */
  function collect(ref: ObjectRef): void {
    const obj = owners.resolve(ref);
    if (!obj) return;
    const ownerRefs = obj.metadata.ownerReferences ?? [];
    const gone = ownerRefs.filter((o) => !owners.exists(o.uid));
    if (gone.length === 0) return;
    if (gone.length === ownerRefs.length) {
      if (!isDeleting(obj)) deleteAsSystem(core, typeOf(core, ref.rkey), obj, { propagationPolicy: "Background" });
      return;
    }
    const next = clone(obj);
    next.metadata.ownerReferences = ownerRefs.filter((o) => owners.exists(o.uid));
    core.commitInternal(typeOf(core, ref.rkey), next, obj);
  }

  /** An owner being deleted with the foreground or orphan policy. */
  function finalize(ref: ObjectRef): void {
    const obj = owners.resolve(ref);
    if (!obj || !isDeleting(obj)) return;
    const finalizers = obj.metadata.finalizers ?? [];
    const uid = ref.uid;
    if (finalizers.includes(ORPHAN)) {
      for (const dep of owners.dependentRefs(uid)) orphan(dep, uid);
      removeFinalizer(core, obj, ORPHAN, ref.rkey);
      return;
    }
    if (!finalizers.includes(FOREGROUND)) return;
    const deps = owners.dependentRefs(uid).map((d) => [d, owners.resolve(d)] as const);
    for (const [dep, o] of deps) if (o && !isDeleting(o)) deleteAsSystem(core, typeOf(core, dep.rkey), o, { propagationPolicy: "Foreground" });
    if (owners.dependentRefs(uid).length === 0) removeFinalizer(core, obj, FOREGROUND, ref.rkey);
  }

  function orphan(dep: ObjectRef, ownerUid: string): void {
    const obj = owners.resolve(dep);
    if (!obj) return;
    const next = clone(obj);
    next.metadata.ownerReferences = (obj.metadata.ownerReferences ?? []).filter((o) => o.uid !== ownerUid);
    if (next.metadata.ownerReferences.length === 0) delete next.metadata.ownerReferences;
    core.commitInternal(typeOf(core, dep.rkey), next, obj);
  }

  function process(key: string): void {
    const ref = refs.get(key);
    refs.delete(key);
    if (!ref) return;
    if (key.startsWith("final:")) finalize(ref);
    else collect(ref);
  }

  const queue = new WorkQueue("garbage-collector", process, ctx.log);
  const enqueue = (kind: "final" | "dep", ref: ObjectRef): void => {
    const key = `${kind}:${ref.uid}`;
    refs.set(key, ref);
    queue.add(key);
  };
  const refOf = (ev: StoreEvent, obj: KObject): ObjectRef => ({ rkey: ev.rkey, namespace: obj.metadata.namespace ?? "", name: obj.metadata.name ?? "", uid: obj.metadata.uid ?? "" });

  const onEvent = (ev: StoreEvent): void => {
    const obj = ev.object;
    if (ev.type === "DELETED") {
      for (const dep of owners.dependentRefs(obj.metadata.uid ?? "")) enqueue("dep", dep);
      for (const o of obj.metadata.ownerReferences ?? []) {
        const owner = owners.refOf(o.uid);
        const stored = owner ? owners.resolve(owner) : undefined;
        if (owner && stored && isDeleting(stored)) enqueue("final", owner);
      }
      return;
    }
    const fins = obj.metadata.finalizers;
    if (isDeleting(obj) && (fins?.includes(FOREGROUND) || fins?.includes(ORPHAN))) enqueue("final", refOf(ev, obj));
    if (ev.type === "ADDED" && obj.metadata.ownerReferences?.some((o) => !owners.exists(o.uid))) enqueue("dep", refOf(ev, obj));
  };
  const unsubscribe = core.store.subscribe(onEvent);
  return {
    stop() {
      unsubscribe();
      queue.stop();
    },
  };
}
