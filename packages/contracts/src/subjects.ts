import { eventToken, type EventName } from "./events.js";

// NATS subjects and stream names. Event subjects carry the event type, the namespace, the app and
// the release id — `<prefix>.evt.<type>.<namespace>.<app>.<releaseId>` — so a consumer filters by
// type (one stage's input) and a replay by release or by app, each with one filter subject (the
// NATS 2.9 servers here take one filter per consumer; 2.10+ would allow several).

/** The public intake subject (with the default prefix): any system publishes a release request here. */
export const INTAKE_SUBJECT = "baton.intake";
export const DEFAULT_PREFIX = "baton";

/** Stands in for a namespace or app that is missing or invalid (a rejected request). */
export const NO_NAME = "_";

export interface Subjects {
  readonly prefix: string;
  readonly intake: string;
  readonly eventsStream: string;
  readonly dlqStream: string;
  readonly allEvents: string;
  readonly allDeadLetters: string;
  event(name: EventName, namespace: string | null, app: string | null, releaseId: string): string;
  ofType(name: EventName): string;
  ofRelease(releaseId: string): string;
  ofApp(namespace: string, app: string): string;
  deadLetter(stage: string, name: EventName | "unknown"): string;
  progress(releaseId: string): string;
  allProgress: string;
}

/** Subjects for one installation; tests use their own prefix so they never see each other's events. */
export function subjects(prefix: string = DEFAULT_PREFIX): Subjects {
  if (!/^[a-z][a-z0-9_-]*$/.test(prefix)) throw new TypeError(`subject prefix "${prefix}" must match [a-z][a-z0-9_-]*`);
  const stream = prefix.toUpperCase().replace(/-/g, "_");
  const tok = (name: EventName | "unknown") => (name === "unknown" ? name : eventToken(name));
  return {
    prefix,
    intake: `${prefix}.intake`,
    eventsStream: `${stream}_EVENTS`,
    dlqStream: `${stream}_DLQ`,
    allEvents: `${prefix}.evt.>`,
    allDeadLetters: `${prefix}.dlq.>`,
    allProgress: `${prefix}.progress.>`,
    event: (name, namespace, app, releaseId) =>
      `${prefix}.evt.${eventToken(name)}.${namespace ?? NO_NAME}.${app ?? NO_NAME}.${releaseId}`,
    ofType: (name) => `${prefix}.evt.${eventToken(name)}.>`,
    ofRelease: (releaseId) => `${prefix}.evt.*.*.*.${releaseId}`,
    ofApp: (namespace, app) => `${prefix}.evt.*.${namespace}.${app}.*`,
    deadLetter: (stage, name) => `${prefix}.dlq.${stage}.${tok(name)}`,
    progress: (releaseId) => `${prefix}.progress.${releaseId}`,
  };
}
