import { CloudEventEnvelope, eventType } from "./envelope.js";
import type { RequestedVia } from "./events.js";
import { DNS1035_LABEL, DNS1123_LABEL, RELEASE_ID } from "./names.js";
import { reasonsFromZod, type Reason } from "./reasons.js";
import { IntakeBody, type ReleaseSpec } from "./spec.js";

// The public intake: any system publishes on `baton.intake` either a bare JSON body (the release
// spec, plus an optional `releaseId`) or a CloudEvents 1.0 envelope of type
// `dev.baton.release.requested.v1` whose `data` is that body.

/** Intake bodies larger than this are refused before parsing. */
export const MAX_INTAKE_BYTES = 64 * 1024;

/** Namespaces no release may target, whatever the allow-list says. */
export const FORBIDDEN_NAMESPACES: ReadonlySet<string> = new Set(["kube-system", "kube-public", "kube-node-lease"]);

export interface IntakeRequest {
  /** Chosen by the caller (idempotency key) or undefined: the intake then makes one. */
  readonly releaseId: string | undefined;
  readonly spec: ReleaseSpec;
  readonly traceparent: string | undefined;
  /** The caller's CloudEvent attributes (source, id, subject), when the request came as a CloudEvent. */
  readonly requestedVia?: RequestedVia;
}

/** A refused intake message, with what could be read of it (for the ReleaseRejected event). */
export interface IntakeRefusal {
  readonly reasons: Reason[];
  readonly releaseId: string | undefined;
  readonly app: string | null;
  readonly namespace: string | null;
}

export type IntakeResult = { ok: true; request: IntakeRequest } | { ok: false; refusal: IntakeRefusal };

export interface IntakePolicy {
  /** Namespaces releases may target; "*" allows any but the forbidden ones. */
  readonly allowedNamespaces: readonly string[] | "*";
  /**
   * The intake subject the request came on, when it names a namespace (`<prefix>.intake.<ns>`):
   * the request may release into that namespace only (NATS permissions decide who may publish there).
   */
  readonly subject?: { readonly name: string; readonly namespace: string };
}

/** Parses one intake message: size, JSON, envelope, spec, namespace policy — every reason at once. */
export function parseIntake(payload: Uint8Array | string, policy: IntakePolicy): IntakeResult {
  const size = typeof payload === "string" ? Buffer.byteLength(payload) : payload.byteLength;
  if (size > MAX_INTAKE_BYTES) {
    return refuse([reason("(body)", `must be at most ${MAX_INTAKE_BYTES} bytes (got ${size})`)], undefined);
  }
  const text = typeof payload === "string" ? payload : new TextDecoder().decode(payload);
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (err) {
    return refuse([reason("(body)", `must be JSON (${(err as Error).message})`)], undefined);
  }
  if (!isObject(json)) return refuse([reason("(body)", "must be a JSON object")], undefined);
  return "specversion" in json ? parseCloudEvent(json, policy) : parseBody(json, policy, undefined, "");
}

function parseCloudEvent(json: Record<string, unknown>, policy: IntakePolicy): IntakeResult {
  const env = CloudEventEnvelope.safeParse(json);
  if (!env.success) return refuse(reasonsFromZod(env.error, json), json.data);
  const want = eventType("ReleaseRequested");
  if (env.data.type !== want) return refuse([reason("type", `must be "${want}"`)], env.data.data);
  if (!isObject(env.data.data)) return refuse([reason("data", "must be a JSON object (the release spec)")], undefined);
  const { source, id, subject } = env.data;
  return parseBody(env.data.data, policy, env.data.traceparent, "data.", { source, id, ...(subject === undefined ? {} : { subject }) });
}

function parseBody(body: Record<string, unknown>, policy: IntakePolicy, traceparent: string | undefined, at: string, requestedVia?: RequestedVia): IntakeResult {
  const parsed = IntakeBody.safeParse(body);
  const reasons = parsed.success ? [] : reasonsFromZod(parsed.error, body).map((r) => prefixed(r, at));
  const ns = typeof body.namespace === "string" ? body.namespace : undefined;
  const nsReason = ns === undefined ? undefined : namespaceRefusal(ns, policy);
  if (nsReason !== undefined) reasons.push(prefixed(nsReason, at));
  if (!parsed.success || reasons.length > 0) return refuse(reasons, body);
  const { releaseId, ...spec } = parsed.data;
  return { ok: true, request: { releaseId, spec, traceparent, ...(requestedVia ? { requestedVia } : {}) } };
}

/** Why a namespace may not be released to, or undefined when it may. */
export function namespaceRefusal(namespace: string, policy: IntakePolicy): Reason | undefined {
  if (policy.subject !== undefined && namespace !== policy.subject.namespace) {
    return reason("namespace", `must be "${policy.subject.namespace}" (the namespace of the intake subject ${policy.subject.name})`);
  }
  if (FORBIDDEN_NAMESPACES.has(namespace)) {
    return reason("namespace", `must not be a system namespace ("${namespace}" is never allowed)`);
  }
  if (policy.allowedNamespaces !== "*" && !policy.allowedNamespaces.includes(namespace)) {
    return reason("namespace", `must be one of the allowed namespaces (${policy.allowedNamespaces.join(", ") || "none"})`);
  }
  return undefined;
}

function refuse(reasons: Reason[], data: unknown): IntakeResult {
  const body = isObject(data) ? data : {};
  const str = (v: unknown, re: RegExp) => (typeof v === "string" && re.test(v) ? v : undefined);
  return {
    ok: false,
    refusal: {
      reasons,
      releaseId: str(body.releaseId, RELEASE_ID),
      app: str(body.app, DNS1035_LABEL) ?? null,
      namespace: str(body.namespace, DNS1123_LABEL) ?? null,
    },
  };
}

function reason(path: string, rule: string): Reason {
  return { path, rule, message: `${path}: ${rule}` };
}

function prefixed(r: Reason, at: string): Reason {
  return at === "" ? r : { path: `${at}${r.path}`, rule: r.rule, message: `${at}${r.message}` };
}

function isObject(v: unknown): v is Record<string, unknown> {
  return typeof v === "object" && v !== null && !Array.isArray(v);
}
