/**
 * The object store: every object by resource, namespace and name, one global resourceVersion
 * counter that grows on every write, the write history for watches, and synchronous listeners.
 * Stored objects are never mutated; a writer commits a fresh copy.
 */
import type { KObject } from "../kinds.js";
import { History } from "./history.js";

export type EventType = "ADDED" | "MODIFIED" | "DELETED";

export interface StoreEvent {
  readonly type: EventType;
  readonly rv: number;
  /** Resource key: `<group>/<plural>`, e.g. `/pods`, `apps/deployments`. */
  readonly rkey: string;
  readonly object: KObject;
  readonly old?: KObject;
  /** Serialised forms, filled lazily by watchers that share them. */
  cache?: Map<string, string | Buffer>;
}

export type Listener = (event: StoreEvent) => void;

interface Bucket {
  readonly byNamespace: Map<string, Map<string, KObject>>;
  /** Grows on every write to this resource: lets readers cache derived views. */
  version: number;
}

export class Store {
  #rv: number;
  readonly #buckets = new Map<string, Bucket>();
  readonly #history: History<StoreEvent>;
  readonly #listeners = new Set<Listener>();

  constructor(historySize: number, firstResourceVersion = 1000) {
    this.#history = new History<StoreEvent>(historySize);
    this.#rv = firstResourceVersion;
  }

  get resourceVersion(): number {
    return this.#rv;
  }

  #bucket(rkey: string): Bucket {
    let bucket = this.#buckets.get(rkey);
    if (!bucket) {
      bucket = { byNamespace: new Map(), version: 0 };
      this.#buckets.set(rkey, bucket);
    }
    return bucket;
  }

  version(rkey: string): number {
    return this.#buckets.get(rkey)?.version ?? 0;
  }

  get(rkey: string, namespace: string, name: string): KObject | undefined {
    return this.#buckets.get(rkey)?.byNamespace.get(namespace)?.get(name);
  }

  /** Objects of a resource, in one namespace or (namespace undefined) all, sorted by namespace and name. */
  list(rkey: string, namespace?: string): KObject[] {
    const bucket = this.#buckets.get(rkey);
    if (!bucket) return [];
    if (namespace !== undefined) return sortByName([...(bucket.byNamespace.get(namespace)?.values() ?? [])]);
    const namespaces = [...bucket.byNamespace.keys()].sort();
    return namespaces.flatMap((ns) => sortByName([...(bucket.byNamespace.get(ns)?.values() ?? [])]));
  }

  /** Unsorted iteration over one namespace (or all): for controllers, cheaper than list(). */
  *iterate(rkey: string, namespace?: string): Iterable<KObject> {
    const bucket = this.#buckets.get(rkey);
    if (!bucket) return;
    if (namespace !== undefined) {
      yield* bucket.byNamespace.get(namespace)?.values() ?? [];
      return;
    }
    for (const objects of bucket.byNamespace.values()) yield* objects.values();
  }

  count(rkey: string, namespace?: string): number {
    const bucket = this.#buckets.get(rkey);
    if (!bucket) return 0;
    if (namespace !== undefined) return bucket.byNamespace.get(namespace)?.size ?? 0;
    let n = 0;
    for (const objects of bucket.byNamespace.values()) n += objects.size;
    return n;
  }

  /**
   * Writes `object` (a fresh copy nobody else holds): gives it the next resourceVersion, stores or
   * removes it, records the event and tells every listener before returning.
   */
  commit(type: EventType, rkey: string, object: KObject, old?: KObject): KObject {
    const rv = ++this.#rv;
    object.metadata.resourceVersion = String(rv);
    const bucket = this.#bucket(rkey);
    const namespace = object.metadata.namespace ?? "";
    const name = object.metadata.name ?? "";
    let objects = bucket.byNamespace.get(namespace);
    if (!objects) {
      objects = new Map();
      bucket.byNamespace.set(namespace, objects);
    }
    if (type === "DELETED") objects.delete(name);
    else objects.set(name, object);
    if (objects.size === 0) bucket.byNamespace.delete(namespace);
    bucket.version++;
    const event: StoreEvent = old ? { type, rv, rkey, object, old } : { type, rv, rkey, object };
    this.#history.push(event);
    for (const listener of this.#listeners) listener(event);
    return object;
  }

  /** Events after `rv`, or undefined when the history no longer reaches back that far. */
  since(rv: number): StoreEvent[] | undefined {
    return this.#history.since(rv);
  }

  get oldestResumable(): number {
    return this.#history.oldestResumable;
  }

  subscribe(listener: Listener): () => void {
    this.#listeners.add(listener);
    return () => this.#listeners.delete(listener);
  }
}

function sortByName(objects: KObject[]): KObject[] {
  return objects.sort((a, b) => ((a.metadata.name ?? "") < (b.metadata.name ?? "") ? -1 : 1));
}
