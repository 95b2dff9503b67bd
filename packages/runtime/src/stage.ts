import { CONCURRENT_EVENTS, TRANSITIONS, decodeEvent, phaseDeadlineSeconds, type AnyEvent, type BatonEvent, type DeadlineDefaults, type EventName, type ReleaseState, type Stage } from "@baton/contracts";
import { ack, consume, terminal, type Consumption, type Delivery, type Outcome } from "./consumer.js";
import type { KubeEventRecorder } from "./kube-event-recorder.js";
import type { Logger } from "./logger.js";
import { emit, eventOf, record, schedule, type EmitData, type EmitResult, type Runtime } from "./runtime.js";
import { fencedBy } from "./store.js";
import { inSpan, traceIdOf } from "./tracing.js";

// A stage is a set of handlers, one per event type it consumes. For each message the runner
// parses the event, checks that the subject names the event's release, records it into the release's state, and calls the handler only when this
// event is the latest thing that happened to the release — so a duplicate, a late event or one the
// state machine refuses changes nothing. The handler acts (idempotent steps) and emits.

export interface HandlerContext<N extends EventName> {
  readonly event: BatonEvent<N>;
  /** The release's state with this event applied. */
  readonly state: ReleaseState;
  readonly release: { readonly releaseId: string; readonly app: string; readonly namespace: string };
  readonly log: Logger;
  readonly attempt: number;
  readonly signal: AbortSignal;
  readonly rt: Runtime;
  /** Publishes an event of this release (when the state machine takes it) and records it. */
  emit<M extends EventName>(name: M, data: EmitData<M>, opts?: { step?: string }): Promise<EmitResult>;
  /** Schedules an event of this release, fired once by a timer pump (`step` tells apart several of one type). */
  schedule<M extends EventName>(name: M, data: EmitData<M>, when: { inMs: number } | { atMs: number }, opts?: { step?: string }): Promise<boolean>;
  /** Live progress for people watching (not stored). */
  progress(data: Record<string, unknown>): void;
}

export type Handler<N extends EventName> = (ctx: HandlerContext<N>) => Promise<Outcome | void>;

export type Handlers = { readonly [N in EventName]?: Handler<N> };

export interface StageDefinition {
  readonly name: Stage;
  readonly handlers: Handlers;
  /** Records Kubernetes Events for what the stage emits (kube-events.ts); none when absent. */
  readonly kubeEvents?: KubeEventRecorder;
}

export interface RunningStage {
  readonly name: Stage;
  stop(): Promise<void>;
}

/** Starts one durable consumer per event type the stage handles. */
export async function startStage(def: StageDefinition, rt: Runtime): Promise<RunningStage> {
  const consumptions: Consumption[] = [];
  for (const name of Object.keys(def.handlers) as EventName[]) {
    const handler = def.handlers[name] as Handler<EventName>;
    const spec = {
      stage: def.name,
      event: name,
      concurrency: rt.config.BATON_CONCURRENCY,
      maxDeliver: rt.config.BATON_MAX_DELIVER,
      ackWaitMs: rt.config.BATON_ACK_WAIT_MS,
    };
    const log = rt.log.child({ stage: def.name });
    consumptions.push(
      await consume(rt.bus, spec, (d) => runHandler(rt, def, name, handler, d), {
        log,
        onOutcome: (outcome, attempt, seconds) => {
          rt.metrics.consumed.inc({ stage: def.name, event: name, outcome });
          rt.metrics.handlerSeconds.observe({ stage: def.name, event: name }, seconds);
          if (attempt > 1) rt.metrics.redeliveries.inc({ stage: def.name, event: name });
          if (outcome === "dead_letter") rt.metrics.deadLetters.inc({ stage: def.name, event: name });
        },
      }),
    );
  }
  rt.log.info({ stage: def.name, events: Object.keys(def.handlers) }, "stage started");
  return {
    name: def.name,
    async stop() {
      await Promise.all(consumptions.map((c) => c.stop()));
      rt.log.info({ stage: def.name }, "stage stopped");
    },
  };
}

async function runHandler(rt: Runtime, def: StageDefinition, name: EventName, handler: Handler<EventName>, d: Delivery): Promise<Outcome> {
  const stage = def.name;
  const parsed = decodeEvent(d.msg.string());
  if (!parsed.ok) return terminal(`not a valid event: ${parsed.reasons.map((r) => r.message).join("; ")}`);
  const event = parsed.value;
  if (event.name !== name) return terminal(`expected ${name}, got ${event.name} on ${d.msg.subject}`);
  const { releaseId, app, namespace } = event.data;
  // NATS permissions authorize subjects (a team may publish abort_requested.<its namespace>.>): an
  // event acts only on the release its subject names, whatever its data claims.
  if (d.msg.subject !== rt.bus.subjects.event(name, namespace, app, releaseId)) {
    return terminal(`the subject ${d.msg.subject} does not name the event's release (${namespace ?? "_"}/${app ?? "_"} ${releaseId}): not applied`);
  }
  const traceId = traceIdOf(event.traceparent);
  const log = rt.log.child({ stage, releaseId, eventId: event.id, event: name, attempt: d.attempt, app, namespace, ...(traceId ? { traceId } : {}) });
  // The app's lock is read alongside (one round trip with the state's, pipelined): the event was
  // usually recorded already by the stage that emitted it, and a duplicate is checked for fencing.
  const [r, holder] = await Promise.all([
    record(rt, event),
    app === null || namespace === null ? null : rt.store.lockHolder(namespace, app),
  ]);
  if (r.kind === "refused") {
    log.info({ reason: r.reason }, "skipped: the state machine refused the event");
    return ack;
  }
  if (r.state.applied.at(-1) !== event.id && !stillTaken(r.state, event)) {
    log.debug({ lastEvent: r.state.lastEvent, phase: r.state.phase }, "skipped: the release has moved on since this event");
    return ack;
  }
  if (r.kind === "duplicate" && fencedBy(r.state, holder)) {
    log.warn("skipped: a newer release of the app holds the lock (fenced)");
    return ack;
  }
  if (app === null || namespace === null) return ack; // only a rejected request has no app, and nothing consumes those
  d.bound(deadlineOf(r.state, rt.deadlines));
  const attributes = { "baton.stage": stage, "baton.release_id": releaseId, "baton.event": name, "baton.event_id": event.id, "baton.attempt": d.attempt };
  return inSpan(`${stage} ${name}`, event.traceparent, attributes, async (traceparent) => {
    const ctx = context(rt, def, event, r.state, { releaseId, app, namespace }, log, d, traceparent);
    return (await handler(ctx)) ?? ack;
  });
}

/**
 * Whether an event that interleaves with others of its phase (CONCURRENT_EVENTS: one analysis
 * metric's measurements beside another's) is still for now: the release is in a phase that takes
 * it. Its handler then runs even though other events were recorded after it (a redelivery too).
 */
function stillTaken(s: ReleaseState, event: AnyEvent): boolean {
  if (!CONCURRENT_EVENTS.has(event.name)) return false;
  const rule = TRANSITIONS[event.name] as { readonly from: readonly string[]; readonly guard?: (s: ReleaseState, e: AnyEvent) => string | undefined };
  return rule.from.includes(s.phase) && rule.guard?.(s, event) === undefined;
}

/**
 * When the release's phase must be over (epoch ms): a handler has no business running past it (the
 * deadline has moved the release on); one that acts on a deadline already passed has from now.
 */
function deadlineOf(s: ReleaseState, deadlines: DeadlineDefaults): number {
  const seconds = phaseDeadlineSeconds(s.phase, s.spec, deadlines);
  const entered = s.enteredAt[s.phase];
  if (seconds === undefined || entered === undefined) return Number.POSITIVE_INFINITY;
  return Math.max(Date.now(), Date.parse(entered) + seconds * 1000);
}

function context(
  rt: Runtime,
  def: StageDefinition,
  event: AnyEvent,
  state: ReleaseState,
  release: { releaseId: string; app: string; namespace: string },
  log: Logger,
  d: Delivery,
  traceparent: string | undefined,
): HandlerContext<EventName> {
  const stage = def.name;
  const trace = traceparent === undefined ? {} : { traceparent };
  return {
    event,
    state,
    release,
    log,
    attempt: d.attempt,
    signal: d.signal,
    rt,
    async emit(name, data, opts = {}) {
      const next = eventOf(rt, stage, release, name, data, { ...opts, ...trace });
      const r = await emit(rt, stage, next as AnyEvent);
      if (r.emitted) log.info({ emitted: name }, `emitted ${name}`);
      else log.info({ event: name, reason: r.reason }, `not emitted: ${r.reason}`);
      if (r.emitted) await def.kubeEvents?.record(event, r.event, r.state ?? state, log, rt.metrics);
      return r;
    },
    async schedule(name, data, when, opts = {}) {
      return schedule(rt, eventOf(rt, "timer", release, name, data, { ...opts, ...trace }) as AnyEvent, when);
    },
    progress(data) {
      rt.bus.progress(release.releaseId, { stage, ...data });
    },
  } as HandlerContext<EventName>;
}
