import { createHash } from "node:crypto";
import { hostname } from "node:os";
import { CoreV1Api, type CoreV1Event, type KubeConfig } from "@kubernetes/client-node";
import { RELEASE_GROUP, RELEASE_VERSION, releaseObjectOf, type AnyEvent, type ReleaseState, type Stage } from "@baton/contracts";
import { messageOf } from "./errors.js";
import { isConflict, kubeCall, kubeStatus } from "./kube.js";
import type { KubeEventSpec, KubeEventTarget } from "./kube-events.js";
import { kubeEventsFor } from "./kube-events.js";
import type { Logger } from "./logger.js";
import type { Metrics } from "./metrics.js";

// Writes a stage's Kubernetes Events (kube-events.ts says which). Best effort: a failed write is
// logged and counted (baton_kube_events_total{result="failed"}), never thrown, so an Event never
// fails a step. Each Event has a name derived from the release event and the object, so a
// redelivered event finds its Event there (409) instead of adding another: nothing to count, only
// `create` on events is needed. The uid of a Deployment or Service (kubectl describe selects Events
// by it) is read by the stage, with a `get` it has anyway (`readUid`); the Release object's comes
// with the release.

/** Reads the uid of a Deployment or Service the stage acts on; undefined when it is gone or the stage does not read that kind. */
export type UidReader = (kind: "Deployment" | "Service", namespace: string, name: string) => Promise<string | undefined>;

/** A uid read that answers undefined for an object that does not exist. */
export async function uidOrNone(read: () => Promise<{ metadata?: { uid?: string } }>): Promise<string | undefined> {
  try {
    return (await read()).metadata?.uid;
  } catch (err) {
    if (kubeStatus(err) === 404) return undefined;
    throw err;
  }
}

export interface KubeEventRecorder {
  /** Records the Events for `emitted` (published after handling `consumed`); resolves when done, never rejects. */
  record(consumed: AnyEvent, emitted: AnyEvent, state: ReleaseState, log: Logger, metrics: Metrics): Promise<void>;
}

interface Involved {
  readonly apiVersion: string;
  readonly kind: string;
  readonly name: string;
  readonly uid?: string;
}

const MAX_MESSAGE = 1024;

/** A MicroTime as the API server reads it: RFC 3339 with exactly six fraction digits. */
function microTime(iso: string): string {
  return new Date(iso).toISOString().replace(/\.(\d{3})Z$/, ".$1000Z");
}

/**
 * The Event's name: `<object>.<time>` as client-go names Events (the hex of the event's time in
 * nanoseconds, so a listing sorted by name, as the API server's is, reads in time order; `nth`
 * orders the Events of one release event), then 8 hex of the release event, object and reason so
 * that the name is the same whenever this Event is written again.
 */
function eventName(object: string, emitted: AnyEvent, spec: KubeEventSpec, nth: number): string {
  const nanos = BigInt(Date.parse(emitted.time)) * 1_000_000n + BigInt(nth);
  const hash = createHash("sha256").update(`${emitted.id}\n${spec.target.kind}\n${object}\n${spec.reason}`).digest("hex").slice(0, 8);
  return `${object.slice(0, 200)}.${nanos.toString(16).padStart(16, "0")}${hash}`;
}

export function kubeEventRecorder(kc: KubeConfig, stage: Stage, readUid?: UidReader): KubeEventRecorder {
  const core = kc.makeApiClient(CoreV1Api);
  const component = `baton.dev/${stage}`;
  const instance = hostname().slice(0, 128);

  async function involved(target: KubeEventTarget, state: ReleaseState, namespace: string, metrics: Metrics): Promise<Involved | null> {
    if (target.kind === "Release") {
      const obj = releaseObjectOf(state);
      return obj === null ? null : { apiVersion: `${RELEASE_GROUP}/${RELEASE_VERSION}`, kind: "Release", name: obj.name, uid: obj.uid };
    }
    // An object already gone (or one the stage does not read) gets its Event all the same, without uid.
    const resource = target.kind === "Deployment" ? "deployments" : "services";
    const uid = readUid ? await kubeCall(metrics, "get", resource, () => readUid(target.kind, namespace, target.name)) : undefined;
    return { apiVersion: target.kind === "Deployment" ? "apps/v1" : "v1", kind: target.kind, name: target.name, ...(uid ? { uid } : {}) };
  }

  /**
   * An Event with both the events.k8s.io fields (a microsecond eventTime, reportingController,
   * reportingInstance, action) and the legacy ones (source, first/lastTimestamp, count 1): each
   * kubectl reads the ones it knows (1.20's describe shows only `source` as From and sorts by
   * lastTimestamp), and the name keeps Events of one second in the order they happened.
   */
  function body(obj: Involved, namespace: string, emitted: AnyEvent, spec: KubeEventSpec, nth: number): CoreV1Event {
    const event = {
      metadata: { name: eventName(obj.name, emitted, spec, nth), namespace, labels: { "baton.dev/release": emitted.data.releaseId } },
      involvedObject: { ...obj, namespace },
      type: spec.type,
      reason: spec.reason,
      message: spec.message.slice(0, MAX_MESSAGE),
      action: emitted.name,
      eventTime: microTime(emitted.time),
      reportingComponent: component,
      reportingInstance: instance,
      source: { component },
      firstTimestamp: new Date(emitted.time),
      lastTimestamp: new Date(emitted.time),
      count: 1,
    };
    // client-node types a MicroTime as a Date, which it would write with milliseconds only.
    return event as unknown as CoreV1Event;
  }

  async function write(spec: KubeEventSpec, nth: number, emitted: AnyEvent, state: ReleaseState, namespace: string, metrics: Metrics): Promise<"recorded" | "exists" | "skipped"> {
    const obj = await involved(spec.target, state, namespace, metrics);
    if (obj === null) return "skipped";
    try {
      await kubeCall(metrics, "create", "events", () => core.createNamespacedEvent({ namespace, body: body(obj, namespace, emitted, spec, nth) }));
      return "recorded";
    } catch (err) {
      if (isConflict(err)) return "exists";
      throw err;
    }
  }

  return {
    async record(consumed, emitted, state, log, metrics) {
      const namespace = state.namespace;
      if (namespace === null) return;
      for (const [nth, spec] of kubeEventsFor(consumed, emitted, state).entries()) {
        try {
          const result = await write(spec, nth, emitted, state, namespace, metrics);
          if (result !== "skipped") metrics.kubeEvents.inc({ stage, result });
        } catch (err) {
          metrics.kubeEvents.inc({ stage, result: "failed" });
          log.warn({ err: messageOf(err), reason: spec.reason, object: spec.target }, "could not record a Kubernetes Event (the step goes on)");
        }
      }
    },
  };
}
