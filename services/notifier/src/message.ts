import { decodeEvent, imageTag, type AnyEvent, type ReleaseState } from "@baton/contracts";
import type { NotifierConfig, ResolvedTarget } from "./config.js";
import { render, type Vars } from "./template.js";
import type { Trigger } from "./triggers.js";

// What a notification says, from the event (or dead letter) and the release's state: the template's
// variables, and the body each kind of target takes.

/** A message off the stream, as the notifier reads it. */
export type Incoming =
  | { readonly kind: "event"; readonly event: AnyEvent }
  | { readonly kind: "dead_letter"; readonly key: string; readonly stage: string; readonly event: string; readonly attempts: number; readonly error: string; readonly release: { releaseId: string | null; namespace: string | null; app: string | null } };

export function readIncoming(text: string, deadLetter: boolean): Incoming | null {
  if (!deadLetter) {
    const r = decodeEvent(text);
    return r.ok ? { kind: "event", event: r.value } : null;
  }
  const l = JSON.parse(text) as { stage?: string; event?: string; attempts?: number; error?: string; streamSeq?: number; payload?: string };
  let data: { releaseId?: string; namespace?: string; app?: string } = {};
  try {
    data = (JSON.parse(l.payload ?? "{}") as { data?: typeof data }).data ?? {};
  } catch {
    // the letter's payload was not JSON: notify without the release
  }
  return {
    kind: "dead_letter",
    key: `dead-letter:${l.stage}:${l.event}:${l.streamSeq}`,
    stage: String(l.stage),
    event: String(l.event),
    attempts: Number(l.attempts ?? 0),
    error: String(l.error ?? ""),
    release: { releaseId: data.releaseId ?? null, namespace: data.namespace ?? null, app: data.app ?? null },
  };
}

export function releaseOf(m: Incoming): { releaseId: string | null; namespace: string | null; app: string | null } {
  return m.kind === "event" ? { releaseId: m.event.data.releaseId, namespace: m.event.data.namespace, app: m.event.data.app } : m.release;
}

/** The idempotency key of a notification to a target: the same however often it is delivered. */
export function idempotencyKey(m: Incoming, trigger: Trigger, target: string): string {
  return `${m.kind === "event" ? m.event.id : m.key}:${trigger.id}:${target}`;
}

export function varsOf(m: Incoming, trigger: Trigger, state: ReleaseState | null, consoleUrl: string | null): Vars {
  const { releaseId, namespace, app } = releaseOf(m);
  const image = state?.spec?.image;
  const e = m.kind === "event" ? m.event : null;
  const reason = e?.name === "ReleaseFailed" ? e.data.cause : e?.name === "AnalysisInconclusive" ? e.data.reason : e?.name === "ReleaseRolledBack" ? (state?.outcome?.reason ?? e.data.reason) : m.kind === "dead_letter" ? m.error : (state?.outcome?.reason ?? "");
  return {
    trigger: trigger.id,
    releaseId,
    namespace,
    app,
    version: image === undefined ? null : (imageTag(image) ?? image),
    revision: state?.revision ?? null,
    phase: state?.phase ?? null,
    reason,
    stage: m.kind === "dead_letter" ? m.stage : e?.name === "ReleaseFailed" ? e.data.stage : (state?.outcome?.stage ?? null),
    eventName: m.kind === "dead_letter" ? m.event : (e?.name ?? null),
    attempts: m.kind === "dead_letter" ? m.attempts : null,
    url: consoleUrl === null || releaseId === null ? null : new URL(`/releases/${encodeURIComponent(releaseId)}`, consoleUrl).href,
  };
}

export function bodyFor(target: ResolvedTarget, m: Incoming, trigger: Trigger, vars: Vars, cfg: NotifierConfig): unknown {
  const text = render(cfg.templates[trigger.id] ?? trigger.template, vars);
  if (target.kind === "slack") return { text };
  const { trigger: _t, url, ...release } = vars;
  return {
    trigger: trigger.id,
    text,
    url,
    release,
    ...(m.kind === "event" ? { event: { id: m.event.id, name: m.event.name, time: m.event.time } } : { deadLetter: { stage: m.stage, event: m.event, attempts: m.attempts } }),
  };
}
