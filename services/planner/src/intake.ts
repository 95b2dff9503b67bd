import { makeEvent, parseIntake, type IntakePolicy, type IntakeRequest, type IntakeResult, type Reason } from "@baton/contracts";
import { UnrecordedError, continueTrace, emit, messageOf, newReleaseId, type Bus, type Component, type Runtime } from "@baton/runtime";
import type { PlannerOptions } from "./options.js";

// The public intake: core NATS request/reply on `<prefix>.intake.<namespace>` (a release into that
// namespace only: NATS permissions on the subject say who may release where) and, unless
// BATON_PLAIN_INTAKE=false, on the plain `<prefix>.intake` (any allowed namespace); one queue group
// shared by every planner replica. Any system sends a release request (a bare body or a
// CloudEvent) and gets the release id, or every reason for refusing it, at once. Bad input never
// throws out of here and never stops the service.

/** What the intake answers; packages/cli (IntakeReply) parses this shape. */
export type IntakeReply =
  | { ok: true; releaseId: string; duplicate?: true; phase?: string }
  | { ok: false; releaseId: string; reasons?: Reason[]; error?: string };

/** A core NATS request as Bus.serve hands it over. */
type Msg = Parameters<Parameters<Bus["serve"]>[2]>[0];

export const INTAKE_QUEUE = "baton-planner";
export const REQUESTED_BY_HEADER = "Baton-Requested-By";

/** Starts answering intake requests; stop() drains the subscription (in-flight requests finish). */
export async function startIntake(rt: Runtime, opts: PlannerOptions): Promise<Component> {
  const { intake, allIntakes } = rt.bus.subjects;
  const subjects = opts.plainIntake ? [allIntakes, intake] : [allIntakes];
  const subs = subjects.map((subject) => rt.bus.serve(subject, INTAKE_QUEUE, (msg) => handleIntake(rt, opts, msg), rt.log));
  await rt.bus.nc.flush(); // the server knows the subscriptions before we say we are listening
  rt.log.info({ subjects, queue: INTAKE_QUEUE }, "intake listening");
  return {
    name: "intake",
    async stop() {
      await Promise.all(subs.map((sub) => (sub.isClosed() ? undefined : sub.drain().catch(() => sub.unsubscribe()))));
    },
  };
}

/** Answers one intake message. */
export async function handleIntake(rt: Runtime, opts: PlannerOptions, msg: Msg): Promise<IntakeReply> {
  const policy = intakePolicy(rt, opts, msg.subject);
  const parsed = policy === undefined ? subjectRefused(rt, msg.subject) : parseIntake(msg.data, policy);
  const only = policy?.subject?.namespace; // a namespace's own subject: its publisher sees no other namespace's release
  const headerTrace = header(msg, "traceparent");
  const requestedBy = requestedByOf(header(msg, REQUESTED_BY_HEADER));
  if (!parsed.ok) {
    const { refusal } = parsed;
    const releaseId = refusal.releaseId ?? newReleaseId();
    // A release id that exists is answered with its state, never judged again (a retry whose body
    // went bad must not reject the release it already started).
    return safely(rt, releaseId, async () => {
      const found = refusal.releaseId === undefined ? undefined : await existing(rt, releaseId, only);
      return found ?? refuse(rt, { ...refusal, releaseId }, continueTrace(headerTrace));
    });
  }
  const { request } = parsed;
  const releaseId = request.releaseId ?? newReleaseId();
  const traceparent = continueTrace(request.traceparent, headerTrace);
  return safely(rt, releaseId, () => accept(rt, releaseId, request, requestedBy, traceparent, only));
}

async function refuse(
  rt: Runtime,
  refusal: { releaseId: string; app: string | null; namespace: string | null; reasons: Reason[] },
  traceparent: string,
): Promise<IntakeReply> {
  const { releaseId, app, namespace, reasons } = refusal;
  const event = makeEvent("ReleaseRejected", { releaseId, app, namespace, reasons }, { source: "intake", time: now(rt), traceparent });
  const r = await emit(rt, "intake", event).catch(published);
  rt.metrics.intake.inc({ result: "rejected" });
  rt.log.info({ releaseId, app, namespace, reasons, published: r.emitted }, "intake: request rejected");
  return { ok: false, releaseId, reasons };
}

/**
 * The answer for a release id that exists already: its current phase. On a namespace's own intake
 * subject, an id of a release in another namespace is refused (nothing emitted, nothing said of it).
 */
async function existing(rt: Runtime, releaseId: string, only: string | undefined): Promise<IntakeReply | undefined> {
  const stored = await rt.store.get(releaseId);
  if (stored === null) return undefined;
  if (only !== undefined && stored.state.namespace !== only) {
    const rule = `must not be the id of a release in another namespace`;
    return { ok: false, releaseId, reasons: [{ path: "releaseId", rule, message: `releaseId: ${rule}` }] };
  }
  rt.metrics.intake.inc({ result: "duplicate" });
  rt.log.info({ releaseId, phase: stored.state.phase }, "intake: the release exists already (duplicate request)");
  return { ok: true, releaseId, duplicate: true, phase: stored.state.phase };
}

/**
 * The event is on the stream (JetStream acknowledged it) but its state write failed: it happened —
 * the planner records it as it consumes it — so the caller is answered from the publish, not told
 * to try again (a retry without a releaseId would start a second release).
 */
function published(err: unknown): { emitted: true } {
  if (!(err instanceof UnrecordedError)) throw err;
  return { emitted: true };
}

async function accept(
  rt: Runtime,
  releaseId: string,
  request: IntakeRequest,
  requestedBy: string | undefined,
  traceparent: string,
  only: string | undefined,
): Promise<IntakeReply> {
  const found = await existing(rt, releaseId, only);
  if (found !== undefined) return found;
  const { spec, requestedVia } = request;
  // A CloudEvent's own source, id and subject are kept (the stored event's envelope is the intake's).
  const data = { releaseId, app: spec.app, namespace: spec.namespace, spec, ...(requestedBy === undefined ? {} : { requestedBy }), ...(requestedVia ? { requestedVia } : {}) };
  const event = makeEvent("ReleaseRequested", data, { source: "intake", time: now(rt), traceparent });
  const r = await emit(rt, "intake", event).catch((err: unknown) => {
    const out = published(err);
    rt.log.warn({ releaseId, err: messageOf(err) }, "intake: request published, its state write failed; the planner records it");
    return out;
  });
  if (!r.emitted) {
    // Another replica recorded it between our read and our emit: the same release, so a duplicate.
    const phase = (await rt.store.get(releaseId))?.state.phase;
    rt.metrics.intake.inc({ result: "duplicate" });
    return { ok: true, releaseId, duplicate: true, ...(phase === undefined ? {} : { phase }) };
  }
  rt.metrics.intake.inc({ result: "accepted" });
  rt.log.info({ releaseId, app: spec.app, namespace: spec.namespace, requestedBy, requestedVia }, "intake: release requested");
  return { ok: true, releaseId };
}

/** NATS or Redis failing must not leave the caller without an answer (nor stop the service). */
async function safely(rt: Runtime, releaseId: string, fn: () => Promise<IntakeReply>): Promise<IntakeReply> {
  try {
    return await fn();
  } catch (err) {
    rt.metrics.intake.inc({ result: "error" });
    rt.log.error({ err, releaseId }, "intake: could not record the request");
    return { ok: false, releaseId, error: `the request could not be recorded, try again: ${messageOf(err)}` };
  }
}

/** The namespace policy, narrowed to the subject's namespace when it names one; undefined for a subject that names none. */
function intakePolicy(rt: Runtime, opts: PlannerOptions, subject: string): IntakePolicy | undefined {
  const namespace = rt.bus.subjects.intakeNamespace(subject);
  if (namespace === undefined) return undefined;
  return namespace === null ? { allowedNamespaces: opts.allowedNamespaces } : { allowedNamespaces: opts.allowedNamespaces, subject: { name: subject, namespace } };
}

/** `<prefix>.intake.a.b` (captured by `<prefix>.intake.>`): no namespace has that subject. */
function subjectRefused(rt: Runtime, subject: string): IntakeResult {
  const rule = `must be ${rt.bus.subjects.intakeOf("<namespace>")}`;
  return { ok: false, refusal: { reasons: [{ path: "(subject)", rule, message: `(subject) ${subject}: ${rule}` }], releaseId: undefined, app: null, namespace: null } };
}

function header(msg: Msg, name: string): string | undefined {
  const v = msg.headers?.get(name);
  return v === undefined || v === "" ? undefined : v;
}

/** Who asked, from the header: kept when it fits the event's bounds (1–256 characters). */
function requestedByOf(value: string | undefined): string | undefined {
  const v = value?.trim();
  return v === undefined || v === "" ? undefined : v.slice(0, 256);
}

function now(rt: Runtime): string {
  return rt.clock().toISOString();
}
