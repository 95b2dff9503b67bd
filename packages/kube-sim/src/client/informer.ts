/**
 * An informer, as client-go's reflector and cache: lists a collection, then watches it from the
 * list's resourceVersion, keeping a local copy of every object and telling `onChange` about each
 * change. A watch that ends (the server's timeout) resumes from the last resourceVersion seen
 * (bookmarks keep it fresh); one answered with 410 Expired, or that keeps failing, lists again and
 * reports the difference as events, so a consumer never misses a change, only intermediate states.
 */
import type { KObject } from "../kinds.js";
import { ApiStatusError, type ApiClient, type Stream } from "./rest.js";

export type ChangeType = "ADDED" | "MODIFIED" | "DELETED";

export interface InformerOptions {
  readonly client: ApiClient;
  /** The collection, e.g. `/api/v1/pods` or `/apis/discovery.k8s.io/v1/endpointslices`. */
  readonly path: string;
  /** apiVersion and kind of the objects (list items come without them; writes need them). */
  readonly apiVersion: string;
  readonly kind: string;
  readonly labelSelector?: string;
  readonly fieldSelector?: string;
  readonly log: (line: string) => void;
  readonly onChange: (type: ChangeType, obj: KObject) => void;
}

interface WatchEvent {
  type: ChangeType | "BOOKMARK" | "ERROR";
  object: KObject & { code?: number; message?: string };
}

const PAGE = 500;
const MAX_BACKOFF_MS = 5_000;

export function keyOf(obj: KObject): string {
  return `${obj.metadata.namespace ?? ""}/${obj.metadata.name ?? ""}`;
}

/** Is `a` a later version than `b`? resourceVersions are opaque, but both servers count up. */
function newer(a: string | undefined, b: string | undefined): boolean {
  if (!a || !b || !/^\d+$/.test(a) || !/^\d+$/.test(b)) return true;
  return BigInt(a) >= BigInt(b);
}

export class Informer {
  readonly #o: InformerOptions;
  readonly #cache = new Map<string, KObject>();
  #rv = "";
  #stream: Stream | undefined;
  #stopped = false;
  #sleep: { timer: NodeJS.Timeout; wake: () => void } | undefined;

  constructor(options: InformerOptions) {
    this.#o = options;
  }

  /** Lists (resolves once the cache is filled), then watches in the background until stop(). */
  async start(): Promise<void> {
    await this.#list();
    void this.#run();
  }

  get(key: string): KObject | undefined {
    return this.#cache.get(key);
  }

  values(): IterableIterator<KObject> {
    return this.#cache.values();
  }

  /** Takes the answer of our own write into the cache, so the next write does not start from an older version. */
  observe(obj: KObject): void {
    const key = keyOf(obj);
    const cached = this.#cache.get(key);
    if (cached && cached.metadata.uid !== obj.metadata.uid) return;
    if (cached && !newer(obj.metadata.resourceVersion, cached.metadata.resourceVersion)) return;
    this.#cache.set(key, this.#typed(obj));
  }

  stop(): void {
    this.#stopped = true;
    this.#stream?.abort();
    if (this.#sleep) {
      clearTimeout(this.#sleep.timer);
      this.#sleep.wake();
    }
  }

  #typed(obj: KObject): KObject {
    return obj.apiVersion && obj.kind ? obj : { ...obj, apiVersion: this.#o.apiVersion, kind: this.#o.kind };
  }

  #selectors(): Record<string, string | undefined> {
    return { labelSelector: this.#o.labelSelector, fieldSelector: this.#o.fieldSelector };
  }

  /** Lists every page; replaces the cache and reports what changed since the last list. */
  async #list(): Promise<void> {
    const seen = new Map<string, KObject>();
    let token: string | undefined;
    let rv = "";
    do {
      const page = await this.#o.client.get<{ metadata: { resourceVersion?: string; continue?: string }; items: KObject[] }>(this.#o.path, {
        ...this.#selectors(),
        limit: PAGE,
        continue: token,
      });
      for (const item of page.items ?? []) seen.set(keyOf(item), this.#typed(item));
      token = page.metadata.continue || undefined;
      rv = page.metadata.resourceVersion ?? rv;
    } while (token);
    if (this.#stopped) return;
    const before = new Map(this.#cache);
    this.#cache.clear();
    for (const [key, obj] of seen) this.#cache.set(key, obj);
    this.#rv = rv;
    for (const [key, obj] of seen) {
      const old = before.get(key);
      if (!old) this.#o.onChange("ADDED", obj);
      else if (old.metadata.resourceVersion !== obj.metadata.resourceVersion) this.#o.onChange("MODIFIED", obj);
    }
    for (const [key, obj] of before) if (!seen.has(key)) this.#o.onChange("DELETED", obj);
  }

  async #run(): Promise<void> {
    let backoff = 0;
    let relist = false;
    while (!this.#stopped) {
      try {
        if (relist) await this.#list();
        relist = await this.#watch();
        backoff = 0;
      } catch (err) {
        if (this.#stopped) return;
        backoff = Math.min(MAX_BACKOFF_MS, backoff === 0 ? 100 : backoff * 2);
        this.#o.log(`informer ${this.#o.path}: ${(err as Error).message}; again in ${backoff} ms`);
        relist = relist || backoff >= MAX_BACKOFF_MS || (err instanceof ApiStatusError && err.code === 410);
        await this.#pause(backoff);
      }
    }
  }

  #pause(ms: number): Promise<void> {
    return new Promise((resolve) => {
      const timer = setTimeout(() => {
        this.#sleep = undefined;
        resolve();
      }, ms);
      this.#sleep = { timer, wake: resolve };
    });
  }

  /** One watch, until the server ends it; true when it ended with an ERROR event and a list is needed. */
  async #watch(): Promise<boolean> {
    let expired = false;
    const query = { ...this.#selectors(), watch: 1, resourceVersion: this.#rv, allowWatchBookmarks: true, timeoutSeconds: 240 + Math.floor(Math.random() * 120) };
    const stream = await this.#o.client.stream(this.#o.path, query, (line) => {
      const ev = line as WatchEvent;
      if (ev.type === "ERROR") {
        expired = true; // 410: the history is gone; anything else: start over from a fresh list too
        if (ev.object.code !== 410) this.#o.log(`informer ${this.#o.path}: watch error ${ev.object.code ?? ""}: ${ev.object.message ?? ""}`);
        this.#stream?.abort();
        return;
      }
      this.#rv = ev.object.metadata.resourceVersion ?? this.#rv;
      if (ev.type === "BOOKMARK") return;
      this.#apply(ev.type, this.#typed(ev.object));
    });
    this.#stream = stream;
    if (this.#stopped) stream.abort();
    await stream.done;
    return expired;
  }

  #apply(type: ChangeType, obj: KObject): void {
    const key = keyOf(obj);
    if (type === "DELETED") this.#cache.delete(key);
    else {
      const cached = this.#cache.get(key);
      // Our own write may already be in the cache (observe); an older event must not replace it.
      if (cached && cached.metadata.uid === obj.metadata.uid && !newer(obj.metadata.resourceVersion, cached.metadata.resourceVersion)) return;
      this.#cache.set(key, obj);
    }
    this.#o.onChange(type, obj);
  }
}
