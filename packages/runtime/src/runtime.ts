import {
  abandonedMeasurementSteps,
  encodeEvent,
  eventId,
  isDeadlinePhase,
  isTerminal,
  makeEvent,
  phaseDeadlineSeconds,
  transition,
  type AnyEvent,
  type BatonEvent,
  type DeadlineDefaults,
  type DeadlinePhase,
  type EventDataInput,
  type EventName,
  type Phase,
  type ReleaseState,
} from "@baton/contracts";
import type { Bus } from "./bus.js";
import { UnrecordedError, messageOf } from "./errors.js";
import type { Config } from "./config.js";
import type { Logger } from "./logger.js";
import type { Metrics } from "./metrics.js";
import type { ReleaseStore, ApplyResult, StoredRelease } from "./store.js";
import type { TimerStore } from "./timers.js";

// What every stage and the intake share: the bus, the store, the timers, and the two moves they
// are built from — record an event into a release's state (arming the deadline of the phase it
// enters), and emit one (publish, then record).

export interface Runtime {
  readonly config: Config;
  readonly bus: Bus;
  readonly store: ReleaseStore;
  readonly timers: TimerStore;
  readonly log: Logger;
  readonly metrics: Metrics;
  readonly deadlines: DeadlineDefaults;
  /** The clock events are stamped with; injectable so tests control time. */
  readonly clock: () => Date;
}

export function deadlinesOf(config: Config): DeadlineDefaults {
  return {
    requestedSeconds: config.BATON_DEADLINE_REQUESTED_S,
    promotingSeconds: config.BATON_DEADLINE_PROMOTING_S,
    switchedSeconds: config.BATON_DEADLINE_SWITCHED_S,
    drainingSeconds: config.BATON_DEADLINE_DRAINING_S,
    rollingBackSeconds: config.BATON_DEADLINE_ROLLING_BACK_S,
    finalizingSeconds: config.BATON_DEADLINE_FINALIZING_S,
    analysisSeconds: config.BATON_DEADLINE_ANALYSIS_S,
  };
}

/** A timer's stored payload: the subject and the wire form of the event it will publish. */
export interface TimerPayload {
  readonly subject: string;
  readonly event: string;
}

/**
 * Applies an event to its release's state; entering a phase with a deadline arms its timer.
 * `read`: the release's state as just read (see ReleaseStore.apply).
 *
 * The state write and the timer are two steps (the timers live in their own hash slot), so a crash
 * or a Redis error between them would leave the phase with no deadline, and every redelivery would
 * see a duplicate. Hence a duplicate of the release's latest event arms the deadline of its phase
 * again, due when it was due from the phase's start: adding a timer that exists, or has fired or
 * been cancelled (tombstone), is a no-op.
 */
export async function record(rt: Runtime, event: AnyEvent, read?: StoredRelease | null): Promise<ApplyResult> {
  const r = await rt.store.apply(event, read);
  if (r.kind === "duplicate" && r.state.applied.at(-1) === event.id) await armDeadline(rt, r.state, event.traceparent, "again");
  if (r.kind !== "applied") return r;
  const s = r.state;
  // Arming is idempotent (the timer id names the release and the phase), so a rare second match
  // in the same millisecond costs nothing.
  if (s.enteredAt[s.phase] === event.time) await Promise.all([armDeadline(rt, s, event.traceparent, "entered"), disarmLeftDeadlines(rt, s)]);
  if (isTerminal(s.phase)) observeEnd(rt, s);
  return r;
}

/** Arms the deadline of the phase the release is in: on entering it, or `again` (due from the phase's start). */
async function armDeadline(rt: Runtime, s: ReleaseState, traceparent: string | undefined, when: "entered" | "again"): Promise<void> {
  if (!isDeadlinePhase(s.phase) || s.app === null || s.namespace === null || s.deadlinesExceeded.includes(s.phase)) return;
  const seconds = phaseDeadlineSeconds(s.phase, s.spec, rt.deadlines);
  const entered = s.enteredAt[s.phase];
  if (seconds === undefined || entered === undefined) return;
  const event = makeEvent(
    "DeadlineExceeded",
    { releaseId: s.releaseId, app: s.app, namespace: s.namespace, phase: s.phase, deadlineSeconds: seconds },
    { source: "timer", time: entered, step: s.phase, ...(traceparent === undefined ? {} : { traceparent }) },
  );
  const inMs = when === "entered" ? seconds * 1000 : Date.parse(entered) + seconds * 1000 - rt.clock().getTime();
  await schedule(rt, event, { inMs: Math.max(0, inMs) });
}

/**
 * Leaving a phase cancels its deadline timer, so a release that moved on on time leaves no stale
 * DeadlineExceeded in its timeline (the state machine would refuse it anyway).
 */
async function disarmLeftDeadlines(rt: Runtime, s: ReleaseState): Promise<void> {
  const left = (Object.keys(s.enteredAt) as Phase[]).filter((p) => p !== s.phase && isDeadlinePhase(p) && !s.deadlinesExceeded.includes(p as DeadlinePhase));
  // …and leaving an analysis cancels the measurements it still had due.
  const abandoned = abandonedMeasurementSteps(s).map((step) => eventId(s.releaseId, "MeasurementDue", step));
  await Promise.all([...left.map((p) => rt.timers.cancel(eventId(s.releaseId, "DeadlineExceeded", p))), ...abandoned.map((id) => rt.timers.cancel(id))]);
}

function observeEnd(rt: Runtime, s: ReleaseState): void {
  rt.metrics.releases.inc({ outcome: s.phase });
  const times = Object.entries(s.enteredAt).sort((a, b) => Date.parse(a[1]) - Date.parse(b[1]));
  for (let i = 0; i + 1 < times.length; i++) {
    const [phase, at] = times[i] as [string, string];
    rt.metrics.phaseSeconds.observe({ phase }, (Date.parse((times[i + 1] as [string, string])[1]) - Date.parse(at)) / 1000);
  }
}

/** Stores an event to be published later, once (the event id is the timer id). */
export async function schedule(rt: Runtime, event: AnyEvent, when: { inMs: number } | { atMs: number }): Promise<boolean> {
  const subject = rt.bus.subjects.event(event.name, event.data.namespace, event.data.app, event.data.releaseId);
  const payload: TimerPayload = { subject, event: encodeEvent(event) };
  return rt.timers.add({ id: event.id, payload: JSON.stringify(payload), ...when });
}

export type EmitResult =
  | { readonly emitted: true; readonly event: AnyEvent; readonly state: ReleaseState | null }
  | { readonly emitted: false; readonly event: AnyEvent; readonly reason: string };

/**
 * Emits an event: checks the state machine would take it (against the freshest state), publishes
 * it with its dedup id, then records it. A refused event is not published. The state read for the
 * check is the one the record starts from: its compare-and-set fails (and reads again) only when
 * something changed the release during the publish.
 */
export async function emit(rt: Runtime, stage: string, event: AnyEvent): Promise<EmitResult> {
  const current = await rt.store.getOf(event);
  const pre = transition(current?.state, event);
  if (pre.kind === "refused") {
    rt.metrics.published.inc({ stage, event: event.name, outcome: "refused" });
    return { emitted: false, event, reason: pre.reason };
  }
  const published = await rt.bus.publish(event);
  rt.metrics.published.inc({ stage, event: event.name, outcome: published.duplicate ? "duplicate" : "stored" });
  const r = await record(rt, event, current).catch((err: unknown) => {
    throw new UnrecordedError(`${event.name} ${event.id} was published, but recording it failed: ${messageOf(err)}`, { cause: err });
  });
  return { emitted: true, event, state: r.kind === "refused" ? null : r.state };
}

/** Data of an event of the release a handler works on (releaseId, app and namespace filled in). */
export type EmitData<N extends EventName> = Omit<EventDataInput<N>, "releaseId" | "app" | "namespace">;

/** Builds an event of a release, stamped with the runtime's clock and the trace of its cause. */
export function eventOf<N extends EventName>(
  rt: Runtime,
  stage: string,
  release: { releaseId: string; app: string; namespace: string },
  name: N,
  data: EmitData<N>,
  opts: { step?: string; traceparent?: string } = {},
): BatonEvent<N> {
  const full = { releaseId: release.releaseId, app: release.app, namespace: release.namespace, ...data } as EventDataInput<N>;
  return makeEvent(name, full, {
    source: stage,
    time: rt.clock().toISOString(),
    ...(opts.step === undefined ? {} : { step: opts.step }),
    ...(opts.traceparent === undefined ? {} : { traceparent: opts.traceparent }),
  });
}
