/**
 * An event recorder as client-go's: an Event per (source, object, type, reason, message); the same
 * one again within 10 minutes raises its count (core/v1 style: count and lastTimestamp; the
 * events.k8s.io style kube-scheduler writes: series.count and series.lastObservedTime) instead of
 * adding an Event. Writes are best effort and in order: a failed write is logged, never thrown.
 */
import type { KObject } from "../kinds.js";
import { timestamp } from "../machinery/objects.js";
import { microTime } from "../node/node-object.js";

export interface ObjectRef {
  readonly apiVersion: string;
  readonly kind: string;
  readonly namespace?: string;
  readonly name: string;
  readonly uid?: string;
  /** A part of the object, such as `spec.containers{app}`. */
  readonly fieldPath?: string;
}

export type EventType = "Normal" | "Warning";

/** Where Events are written: kube-sim's API core in-process, or any API server over HTTP. */
export interface EventSink {
  create(namespace: string, event: KObject): Promise<void>;
  /** A merge patch; false when the Event is gone (it is then created anew). */
  patch(namespace: string, name: string, patch: Record<string, unknown>): Promise<boolean>;
}

export interface RecorderOptions {
  readonly sink: EventSink;
  /** source.component / reportingController, e.g. `kubelet`, `deployment-controller`. */
  readonly component: string;
  /** source.host / reportingInstance (the node of a kubelet). */
  readonly host?: string;
  /** `events`: written as the events.k8s.io recorder writes (eventTime, action, series), as kube-scheduler does. */
  readonly style?: "core" | "events";
  readonly log: (line: string) => void;
  readonly now?: () => number;
}

/** How long an Event keeps counting repeats. */
export const DEDUP_WINDOW_MS = 10 * 60_000;
/** Events remembered for counting, at most (client-go's LRU holds 4096). */
const MAX_REMEMBERED = 4096;

interface Seen {
  readonly namespace: string;
  readonly name: string;
  count: number;
  lastMs: number;
}

let sequence = 0;

/** `<object>.<hex of a nanosecond time>`, as client-go names Events. */
function eventName(objectName: string, ms: number): string {
  sequence = (sequence + 1) % 1_000_000;
  return `${objectName}.${(BigInt(ms) * 1_000_000n + BigInt(sequence)).toString(16)}`;
}

export class EventRecorder {
  readonly #o: RecorderOptions;
  readonly #seen = new Map<string, Seen>();
  #chain: Promise<void> = Promise.resolve();

  constructor(options: RecorderOptions) {
    this.#o = options;
  }

  /** Records an Event on `ref` (in the background; `flush` waits for it). */
  event(ref: ObjectRef, type: EventType, reason: string, message: string, action = ""): void {
    this.#chain = this.#chain.then(() => this.#record(ref, type, reason, message, action)).catch((err: unknown) => {
      this.#o.log(`${this.#o.component}: cannot record event ${reason} on ${ref.kind.toLowerCase()}/${ref.name}: ${String(err)}`);
    });
  }

  /** Resolves once every Event recorded so far is written (or has failed). */
  flush(): Promise<void> {
    return this.#chain;
  }

  #key(ref: ObjectRef, type: string, reason: string, message: string): string {
    return JSON.stringify([this.#o.component, this.#o.host ?? "", ref.kind, ref.namespace ?? "", ref.name, ref.fieldPath ?? "", ref.uid ?? "", ref.apiVersion, type, reason, message]);
  }

  async #record(ref: ObjectRef, type: EventType, reason: string, message: string, action: string): Promise<void> {
    const now = (this.#o.now ?? Date.now)();
    const key = this.#key(ref, type, reason, message);
    const seen = this.#seen.get(key);
    if (seen && now - seen.lastMs < DEDUP_WINDOW_MS) {
      seen.count++;
      seen.lastMs = now;
      const patch = this.#o.style === "events" ? { series: { count: seen.count, lastObservedTime: microTime(now) } } : { count: seen.count, lastTimestamp: timestamp(now), message };
      if (await this.#o.sink.patch(seen.namespace, seen.name, patch)) return;
    }
    const namespace = ref.namespace || "default";
    const name = eventName(ref.name, now);
    await this.#o.sink.create(namespace, this.#body(ref, type, reason, message, action, namespace, name, now));
    this.#seen.delete(key);
    this.#seen.set(key, { namespace, name, count: 1, lastMs: now });
    if (this.#seen.size > MAX_REMEMBERED) this.#seen.delete(this.#seen.keys().next().value as string);
  }

  #body(ref: ObjectRef, type: EventType, reason: string, message: string, action: string, namespace: string, name: string, now: number): KObject {
    const { component, host } = this.#o;
    const involvedObject = { ...ref, ...(ref.namespace ? {} : { namespace }) };
    const base = { apiVersion: "v1", kind: "Event", metadata: { name, namespace }, involvedObject, reason, message, type };
    if (this.#o.style === "events") {
      return { ...base, eventTime: microTime(now), action, reportingComponent: component, reportingInstance: host ?? component, source: {} };
    }
    const at = timestamp(now);
    return { ...base, source: { component, ...(host ? { host } : {}) }, firstTimestamp: at, lastTimestamp: at, count: 1, reportingComponent: component, reportingInstance: host ?? "" };
  }
}
