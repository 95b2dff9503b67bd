import { imageTag, type AnyEvent, type ConsoleEvent, type DeadLetterView, type ReleaseState, type ReleaseSummary } from "@baton/contracts";
import { redactObject, type DeadLetter } from "@baton/runtime";
import { attentionOf, type AttentionContext } from "./attention.js";

// What the API shows of a release, an event and a dead letter. Events carry no secrets by contract
// (Secrets are referenced, never carried); still, before anything reaches a page, fields named like
// credentials and env values of variables named like them are censored, and passwords in URLs cut.

export function summaryOf(s: ReleaseState, ctx: AttentionContext): ReleaseSummary {
  const image = s.spec?.image ?? null;
  return {
    releaseId: s.releaseId,
    app: s.app,
    namespace: s.namespace,
    phase: s.phase,
    revision: s.revision,
    previousRevision: s.previousRevision,
    image,
    version: image === null ? null : (imageTag(image) ?? image.split("@")[1] ?? "latest"),
    promotion: s.spec?.promotion ?? null,
    createdAt: s.createdAt,
    updatedAt: s.updatedAt,
    enteredAt: s.enteredAt,
    approvedBy: s.approvedBy,
    abortedBy: s.abort?.by ?? null,
    outcome: s.outcome === null ? null : { reason: s.outcome.reason, stage: s.outcome.stage },
    attention: attentionOf(s, ctx),
  };
}

/** Who requested the release, from its first event. */
export function requesterOf(events: readonly AnyEvent[]): string | null {
  const first = events.find((e) => e.name === "ReleaseRequested");
  return first?.name === "ReleaseRequested" ? (first.data.requestedBy ?? null) : null;
}

const SECRET_NAME = /(password|passwd|pwd|token|secret|credential|api[_-]?key|private[_-]?key|dsn|auth)/i;
const CENSOR = "***";

/** Env entries whose variable is named like a credential keep their name, not their value. */
function censorEnv(value: unknown, depth = 0): unknown {
  if (value === null || typeof value !== "object" || depth > 12) return value;
  if (Array.isArray(value)) return value.map((v) => censorEnv(v, depth + 1));
  const o = value as Record<string, unknown>;
  const out: Record<string, unknown> = {};
  const isEnv = typeof o.name === "string" && "value" in o && Object.keys(o).every((k) => k === "name" || k === "value" || k === "valueFrom");
  for (const [k, v] of Object.entries(o)) out[k] = isEnv && k === "value" && SECRET_NAME.test(o.name as string) ? CENSOR : censorEnv(v, depth + 1);
  return out;
}

export function eventView(e: AnyEvent): ConsoleEvent {
  return { id: e.id, name: e.name, time: e.time, source: e.source, data: redactObject(censorEnv(e.data)) as ConsoleEvent["data"] };
}

export function deadLetterView(l: Omit<DeadLetter, "payload"> & { payload?: string }): DeadLetterView {
  let data: { releaseId?: unknown; namespace?: unknown; app?: unknown } = {};
  try {
    data = (JSON.parse(l.payload ?? "{}") as { data?: typeof data }).data ?? {};
  } catch {
    // an unreadable payload: the letter is still shown, to admins of every namespace
  }
  const str = (v: unknown) => (typeof v === "string" && v !== "" ? v : null);
  return {
    seq: l.seq,
    at: l.at,
    stage: l.stage,
    event: l.event,
    attempts: l.attempts,
    kind: l.kind,
    error: redactObject(l.error),
    releaseId: str(data.releaseId),
    namespace: str(data.namespace),
    app: str(data.app),
  };
}
