import { eventToken, type EventName } from "./events.js";

// NATS subjects and stream names. Event subjects carry the event type, the namespace, the app and
// the release id — `<prefix>.evt.<type>.<namespace>.<app>.<releaseId>` — so a consumer filters by
// type (one stage's input) and a replay by release or by app, each with one filter subject (the
// NATS 2.9 servers here take one filter per consumer; 2.10+ would allow several).
//
// Authorization is NATS' own: the intake subject of a namespace is `<prefix>.intake.<namespace>`,
// and promote / abort are events on `<prefix>.evt.{promotion_approved,abort_requested}.<namespace>.…`,
// so a NATS user allowed to publish only `baton.intake.team-a` and
// `baton.evt.{promotion_approved,abort_requested}.team-a.>` releases, promotes and aborts in team-a
// alone (deploy/nats/accounts.conf). The stages act only on what an event's subject names. The
// plain `<prefix>.intake` (any namespace) serves single-tenant installs; BATON_PLAIN_INTAKE=false
// turns it off. `<prefix>.intake.>` captures every namespaced intake subject (a stream can hold them).

/** The public intake subject (with the default prefix): any system publishes a release request here. */
export const INTAKE_SUBJECT = "baton.intake";
export const DEFAULT_PREFIX = "baton";

/** Stands in for a namespace or app that is missing or invalid (a rejected request). */
export const NO_NAME = "_";

export interface Subjects {
  readonly prefix: string;
  /** The plain intake: a release into any namespace (single-tenant installs). */
  readonly intake: string;
  /** Every namespace's intake subject: `<prefix>.intake.>`. */
  readonly allIntakes: string;
  /** The intake of one namespace: `<prefix>.intake.<namespace>`. */
  intakeOf(namespace: string): string;
  /** The namespace an intake subject names: null for the plain one, undefined for one that is not an intake subject of one namespace. */
  intakeNamespace(subject: string): string | null | undefined;
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
    allIntakes: `${prefix}.intake.>`,
    intakeOf: (namespace) => `${prefix}.intake.${namespace}`,
    intakeNamespace: (subject) => {
      if (subject === `${prefix}.intake`) return null;
      const rest = subject.startsWith(`${prefix}.intake.`) ? subject.slice(prefix.length + 8) : "";
      return rest === "" || rest.includes(".") ? undefined : rest;
    },
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
