/**
 * The ownership index the controllers share: every object by uid, and the dependents of every
 * owner uid (from `metadata.ownerReferences`), kept up to date by a synchronous store listener.
 * An owner's dependents stay indexed after the owner is gone, so the garbage collector finds them.
 */
import type { KObject, OwnerReference } from "../kinds.js";
import type { Store, StoreEvent } from "../store/store.js";

export interface ObjectRef {
  readonly rkey: string;
  readonly namespace: string;
  readonly name: string;
  readonly uid: string;
}

function refOf(rkey: string, obj: KObject): ObjectRef {
  return { rkey, namespace: obj.metadata.namespace ?? "", name: obj.metadata.name ?? "", uid: obj.metadata.uid ?? "" };
}

/** The controller owner reference of an object, if any. */
export function controllerOf(obj: KObject): OwnerReference | undefined {
  return obj.metadata.ownerReferences?.find((r) => r.controller === true);
}

export class OwnerIndex {
  readonly #byUid = new Map<string, ObjectRef>();
  readonly #dependents = new Map<string, Map<string, ObjectRef>>();
  readonly #unsubscribe: () => void;

  constructor(readonly store: Store) {
    this.#unsubscribe = store.subscribe((ev) => this.#onEvent(ev));
  }

  #onEvent(ev: StoreEvent): void {
    const uid = ev.object.metadata.uid ?? "";
    const ref = refOf(ev.rkey, ev.object);
    for (const owner of ev.old?.metadata.ownerReferences ?? []) this.#unlink(owner.uid, uid);
    if (ev.type === "DELETED") {
      this.#byUid.delete(uid);
      for (const owner of ev.object.metadata.ownerReferences ?? []) this.#unlink(owner.uid, uid);
      return;
    }
    this.#byUid.set(uid, ref);
    for (const owner of ev.object.metadata.ownerReferences ?? []) {
      let deps = this.#dependents.get(owner.uid);
      if (!deps) this.#dependents.set(owner.uid, (deps = new Map()));
      deps.set(uid, ref);
    }
  }

  #unlink(ownerUid: string, uid: string): void {
    const deps = this.#dependents.get(ownerUid);
    if (!deps) return;
    deps.delete(uid);
    if (deps.size === 0) this.#dependents.delete(ownerUid);
  }

  /** Does an object with this uid exist? */
  exists(uid: string): boolean {
    return this.#byUid.has(uid);
  }

  /** Where the object of a uid is stored. */
  refOf(uid: string): ObjectRef | undefined {
    return this.#byUid.get(uid);
  }

  /** The stored object of a uid. */
  object(uid: string): KObject | undefined {
    const ref = this.#byUid.get(uid);
    return ref ? this.resolve(ref) : undefined;
  }

  /** The stored object a ref names, if it is still the same object (same uid). */
  resolve(ref: ObjectRef): KObject | undefined {
    const obj = this.store.get(ref.rkey, ref.namespace, ref.name);
    return obj && obj.metadata.uid === ref.uid ? obj : undefined;
  }

  /** Refs of the dependents of an owner uid (of one resource when `rkey` is given). */
  dependentRefs(ownerUid: string, rkey?: string): ObjectRef[] {
    const deps = this.#dependents.get(ownerUid);
    if (!deps) return [];
    const refs = [...deps.values()];
    return rkey === undefined ? refs : refs.filter((r) => r.rkey === rkey);
  }

  /** The stored dependents of `ownerUid` in `rkey` whose controller is that owner. */
  controlled(ownerUid: string, rkey: string): KObject[] {
    const out: KObject[] = [];
    for (const ref of this.dependentRefs(ownerUid, rkey)) {
      const obj = this.resolve(ref);
      if (obj && controllerOf(obj)?.uid === ownerUid) out.push(obj);
    }
    return out;
  }

  close(): void {
    this.#unsubscribe();
  }
}
