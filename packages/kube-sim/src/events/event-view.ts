/**
 * Events are stored once and served in two API groups, as the real server does: core/v1 (the
 * stored form: involvedObject, message, source, count) and events.k8s.io/v1 (regarding, note,
 * reportingController, series; the core-only fields as deprecatedSource, deprecatedCount,
 * deprecatedFirstTimestamp, deprecatedLastTimestamp). Field selectors of the events.k8s.io view
 * name its own fields and select on the stored ones.
 */
import type { KObject } from "../kinds.js";

/** core/v1 field → events.k8s.io/v1 field (metadata, type, reason, action, series, reportingInstance, related and eventTime keep their names). */
const RENAMED: readonly (readonly [core: string, events: string])[] = [
  ["involvedObject", "regarding"],
  ["message", "note"],
  ["reportingComponent", "reportingController"],
  ["source", "deprecatedSource"],
  ["firstTimestamp", "deprecatedFirstTimestamp"],
  ["lastTimestamp", "deprecatedLastTimestamp"],
  ["count", "deprecatedCount"],
];

const SAME = ["metadata", "eventTime", "series", "reportingInstance", "action", "reason", "related", "type"];

function copy(from: KObject, to: Record<string, unknown>, pairs: readonly (readonly [string, string])[]): void {
  for (const [a, b] of pairs) if (from[a] !== undefined) to[b] = from[a];
}

/** A stored (core/v1) Event as events.k8s.io/v1 shows it. */
export function toEventsV1(obj: KObject): KObject {
  const out: Record<string, unknown> = { apiVersion: "events.k8s.io/v1", kind: "Event" };
  copy(obj, out, SAME.map((k) => [k, k] as const));
  copy(obj, out, RENAMED);
  // eventTime is required in events.k8s.io/v1; an Event written through core/v1 may lack it.
  out.eventTime ??= null;
  return out as KObject;
}

/** An events.k8s.io/v1 Event in the stored (core/v1) form. */
export function fromEventsV1(obj: KObject): KObject {
  const out: Record<string, unknown> = { apiVersion: "v1", kind: "Event" };
  copy(obj, out, SAME.map((k) => [k, k] as const));
  copy(obj, out, RENAMED.map(([a, b]) => [b, a] as const));
  return out as KObject;
}

/** Field selectors of the events.k8s.io/v1 view, and the stored field each selects on. */
export const EVENTS_V1_FIELDS: Readonly<Record<string, string>> = {
  "regarding.kind": "involvedObject.kind",
  "regarding.namespace": "involvedObject.namespace",
  "regarding.name": "involvedObject.name",
  "regarding.uid": "involvedObject.uid",
  "regarding.apiVersion": "involvedObject.apiVersion",
  "regarding.resourceVersion": "involvedObject.resourceVersion",
  "regarding.fieldPath": "involvedObject.fieldPath",
  reason: "reason",
  reportingController: "reportingComponent",
  deprecatedSource: "source.component",
  type: "type",
};
