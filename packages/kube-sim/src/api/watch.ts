/**
 * Watch streams: `{"type":…,"object":…}` lines, or length-prefixed protobuf WatchEvent frames for a
 * client that prefers protobuf. Starts with synthetic ADDED events (no
 * resourceVersion, "0", or sendInitialEvents) or resumes from the history after a resourceVersion
 * (an ERROR event with a 410 Expired Status when it is too old, as the real watch cache answers);
 * label and field selectors turn objects leaving or entering the selection into DELETED / ADDED.
 */
import type { ServerResponse } from "node:http";
import type { KObject } from "../kinds.js";
import { CodecError, encodeWatchEvent } from "../protobuf/index.js";
import { matchesFields, matchesLabels, type FieldRequirement, type Requirement } from "../machinery/selectors.js";
import type { StoreEvent } from "../store/store.js";
import type { ApiCore } from "./core.js";
import { badRequest, expired, internalError } from "./errors.js";
import { JSON_MEDIA, PROTOBUF_MEDIA, type Encoding } from "./media.js";
import type { ResourceType } from "./resources.js";

export interface WatchRequest {
  rt: ResourceType;
  namespace: string | undefined;
  labels: Requirement[];
  fields: FieldRequirement[];
  resourceVersion: string | null;
  sendInitialEvents: boolean;
  allowBookmarks: boolean;
  timeoutSeconds: number;
  encoding: Encoding;
  /** Wraps each object before it is sent (Table rows); identity by default. */
  render?: (obj: KObject) => unknown;
}

/** Slow clients are dropped once this much is queued for them. */
const MAX_BUFFERED = 32 * 1024 * 1024;

type Outgoing = "ADDED" | "MODIFIED" | "DELETED";

function outgoingType(ev: StoreEvent, selected: (o: KObject) => boolean): Outgoing | undefined {
  const now = selected(ev.object);
  if (ev.type === "ADDED") return now ? "ADDED" : undefined;
  const before = ev.old ? selected(ev.old) : false;
  if (ev.type === "DELETED") return now || before ? "DELETED" : undefined;
  if (now && before) return "MODIFIED";
  if (now) return "ADDED";
  return before ? "DELETED" : undefined;
}

export class WatchStream {
  readonly #res: ServerResponse;
  readonly #req: WatchRequest;
  readonly #core: ApiCore;
  #unsubscribe: (() => void) | undefined;
  readonly #timers: NodeJS.Timeout[] = [];
  #closed = false;

  constructor(res: ServerResponse, req: WatchRequest, core: ApiCore) {
    this.#res = res;
    this.#req = req;
    this.#core = core;
  }

  #selected = (o: KObject): boolean => {
    const ns = this.#req.namespace;
    if (ns && o.metadata.namespace !== ns) return false;
    return matchesLabels(this.#req.labels, o.metadata.labels) && matchesFields(this.#req.fields, o);
  };

  /** One event as the stream's encoding writes it. */
  #event(type: string, object: unknown): string | Buffer {
    if (this.#req.encoding === "protobuf") return encodeWatchEvent(type, object);
    return `${JSON.stringify({ type, object })}\n`;
  }

  /** An object's event; an object that protobuf cannot carry ends the stream with an ERROR event. */
  #line(type: string, obj: KObject): string | Buffer {
    try {
      return this.#event(type, this.#req.render ? this.#req.render(obj) : this.#core.toRead(this.#req.rt, obj));
    } catch (err) {
      if (!(err instanceof CodecError)) throw err;
      queueMicrotask(() => this.close());
      return this.#event("ERROR", internalError(err).toStatus());
    }
  }

  #write(data: string | Buffer): void {
    if (this.#closed) return;
    this.#res.write(data);
    if (this.#res.writableLength > MAX_BUFFERED) this.close();
  }

  #onEvent = (ev: StoreEvent): void => {
    if (ev.rkey !== this.#req.rt.rkey) return;
    const type = outgoingType(ev, this.#selected);
    if (!type) return;
    if (this.#req.render) {
      this.#write(this.#line(type, ev.object));
      return;
    }
    const key = `${type} ${this.#req.rt.apiVersion} ${this.#req.encoding}`;
    const cache = (ev.cache ??= new Map());
    let text = cache.get(key);
    if (text === undefined) {
      text = this.#line(type, ev.object);
      cache.set(key, text);
    }
    this.#write(text);
  };

  #bookmark(initialEnd: boolean): void {
    const metadata: Record<string, unknown> = { resourceVersion: String(this.#core.store.resourceVersion) };
    if (initialEnd) metadata.annotations = { "k8s.io/initial-events-end": "true" };
    this.#write(this.#event("BOOKMARK", { kind: this.#req.rt.kind, apiVersion: this.#req.rt.apiVersion, metadata }));
  }

  /** Checks the request before any header is sent (a bad resourceVersion is a 400). */
  static check(req: WatchRequest): void {
    const rv = req.resourceVersion;
    if (rv && rv !== "0" && !/^\d+$/.test(rv)) throw badRequest(`resourceVersion: Invalid value: "${rv}": must be a non-negative integer`);
  }

  start(bookmarkIntervalMs: number, onClose: () => void): void {
    const res = this.#res;
    const type = this.#req.encoding === "protobuf" ? `${PROTOBUF_MEDIA};stream=watch` : JSON_MEDIA;
    res.writeHead(200, { "Content-Type": type, "Cache-Control": "no-cache, private", "Transfer-Encoding": "chunked" });
    res.flushHeaders();
    res.on("close", () => {
      this.close();
      onClose();
    });
    if (!this.#replay()) return;
    this.#unsubscribe = this.#core.store.subscribe(this.#onEvent);
    if (this.#req.allowBookmarks) this.#timers.push(setInterval(() => this.#bookmark(false), bookmarkIntervalMs));
    this.#timers.push(setTimeout(() => this.close(), this.#req.timeoutSeconds * 1000));
  }

  /** Sends the initial state or the missed events; false when the stream ended (expired). */
  #replay(): boolean {
    const { rt, resourceVersion, sendInitialEvents } = this.#req;
    const store = this.#core.store;
    if (!resourceVersion || resourceVersion === "0" || sendInitialEvents) {
      for (const obj of store.list(rt.rkey, rt.namespaced ? this.#req.namespace : undefined)) {
        if (this.#selected(obj)) this.#write(this.#line("ADDED", obj));
      }
      if (sendInitialEvents && this.#req.allowBookmarks) this.#bookmark(true);
      return true;
    }
    const events = store.since(Number(resourceVersion));
    if (!events) {
      const status = expired(`too old resource version: ${resourceVersion} (${store.oldestResumable})`).toStatus();
      this.#write(this.#event("ERROR", status));
      this.close();
      return false;
    }
    for (const ev of events) this.#onEvent(ev);
    return true;
  }

  close(): void {
    if (this.#closed) return;
    this.#closed = true;
    this.#unsubscribe?.();
    for (const t of this.#timers) clearTimeout(t);
    this.#res.end();
  }
}
