import type { AnyEvent, BatonEvent } from "./envelope.js";
import { metricsOf } from "./analysis.js";
import type { ActivityResult, AnalysisPhase, CheckResult, DeadlinePhase, EventName, Failure, Measurement, RequestedVia, Stage, WarmupResult } from "./events.js";
import type { Reason } from "./reasons.js";
import type { Warning } from "./warnings.js";
import type { ReleaseSpec } from "./spec.js";

// The release state machine: one pure reducer, (state, event) → state or a refusal with its
// reason. No I/O and no clock: times come from the events, so a replay of a release's events
// rebuilds the very state the services stored. Services, `baton replay` and the tests share it.
//
// Analysis (spec.analysis, see analysis.ts) adds three phases, entered only by a release that asks
// for it, so a release without analysis goes through exactly the phases and events it always did:
//
//   validating ─ValidationPassed─▶ analyzing ─AnalysisPassed─▶ awaiting_promotion | promoting
//                                      │ AnalysisFailed ─▶ rolling_back (production never left v1)
//                                      └ AnalysisInconclusive ─▶ inconclusive ─PromotionApproved─▶ promoting
//   promoting ─TrafficSwitched─▶ verifying ─AnalysisPassed─▶ switched (the shutdown delay starts now)
//                                      │ AnalysisFailed ─▶ rolling_back, switching production back to v1
//                                      └ AnalysisInconclusive ─▶ inconclusive ─PromotionApproved─▶ switched
//
// Inside analyzing and verifying, AnalysisStarted, MeasurementDue (a timer per measurement) and
// MeasurementTaken keep the phase; the metrics measure side by side, so these events interleave
// (CONCURRENT_EVENTS). Each phase has a deadline (deadlines.ts): analyzing and verifying that of
// the analysis plus a margin, inconclusive promotionTimeoutSeconds; each rolls back on expiry,
// switching production back when it had moved. Post-promotion analysis needs a v1 to switch back
// to: a first release goes from promoting to switched as before.

export type Phase =
  | "requested" // accepted at the intake; the planner has not planned it yet
  | "planned" // revision chosen, app locked; pod-manager is bringing v2 up
  | "validating" // enough v2 pods Ready; the validator sends test and warm-up traffic to v2
  | "analyzing" // validation passed; the validator measures the pre-promotion metrics (production on v1)
  | "inconclusive" // an analysis was inconclusive: waits for PromotionApproved or AbortRequested
  | "awaiting_promotion" // validation passed and promotion is manual: waits for PromotionApproved
  | "promoting" // the traffic-switcher is moving production traffic to v2
  | "verifying" // production on v2, v1 still up and not told to shut down; post-promotion metrics measured
  | "switched" // production on v2; v1 still runs for shutdown.delaySeconds (the fast-rollback window)
  | "draining" // v1 told to shut down (scaled to zero); its pods finish in-flight work
  | "finalizing" // grace period over: the rest of v1 forced down, post-release activities run
  | "rolling_back" // v2 being torn down; production switched back to v1 first where it had moved
  | "completed" // terminal: v2 serves production, v1 is gone
  | "rolled_back" // terminal: production on v1 (or nothing, on a first release), v2 gone
  | "failed" // terminal: a stage could not finish; `outcome` names the stage and the cause
  | "rejected"; // terminal: the request was refused before anything was created

export const PHASES: readonly Phase[] = [
  "requested", "planned", "validating", "analyzing", "inconclusive", "awaiting_promotion", "promoting", "verifying", "switched", "draining",
  "finalizing", "rolling_back", "completed", "rolled_back", "failed", "rejected",
];

export const TERMINAL_PHASES: ReadonlySet<Phase> = new Set(["completed", "rolled_back", "failed", "rejected"]);

export function isTerminal(phase: Phase): boolean {
  return TERMINAL_PHASES.has(phase);
}

export interface ReleaseOutcome {
  readonly reason: string;
  readonly failures: readonly Failure[];
  readonly reasons: readonly Reason[];
  readonly stage: Stage | null;
}

export interface ReleaseState {
  readonly releaseId: string;
  readonly app: string | null;
  readonly namespace: string | null;
  readonly phase: Phase;
  readonly spec: ReleaseSpec | null;
  readonly revision: number | null;
  readonly previousRevision: number | null;
  readonly fence: number | null;
  readonly createdAt: string;
  readonly updatedAt: string;
  /** When the release entered each phase it went through. */
  readonly enteredAt: Partial<Record<Phase, string>>;
  /** Ids of the events applied, in order; an event applied twice changes nothing. */
  readonly applied: readonly string[];
  readonly lastEvent: EventName;
  /** Rolling back after production moved to v2: the traffic-switcher must switch back first. */
  readonly needsSwitchBack: boolean;
  readonly pods: { readonly ready: number; readonly desired: number } | null;
  readonly validation: { readonly checks: readonly CheckResult[]; readonly warmup: WarmupResult | null } | null;
  readonly approvedBy: string | null;
  readonly abort: { readonly by: string; readonly reason: string } | null;
  readonly drain: { readonly pods: number; readonly gracePeriodSeconds: number } | null;
  readonly forcedPods: number | null;
  readonly postRelease: readonly ActivityResult[];
  readonly deadlinesExceeded: readonly DeadlinePhase[];
  readonly outcome: ReleaseOutcome | null;
  /** Warnings of ReleasePlanned and ValidationFailed, in order. */
  readonly warnings: readonly Warning[];
  /** The CloudEvent the request arrived as (its caller's source, id, subject), when it came as one. */
  readonly requestedVia?: RequestedVia;
  /** The analyses run so far (absent in states stored before analysis existed: read as null). */
  readonly analysis?: ReleaseAnalysis | null;
}

/** One analysis of a release: when it started and ended, its verdict, every measurement. */
export interface AnalysisRun {
  readonly startedAt: string;
  readonly endedAt: string | null;
  readonly verdict: "running" | "passed" | "failed" | "inconclusive";
  readonly measurements: readonly Measurement[];
}

export type ReleaseAnalysis = { readonly [P in AnalysisPhase]: AnalysisRun | null };

/**
 * Events that interleave within a phase (one per metric of an analysis): a stage handles one while
 * the release is still in a phase that takes it, not only when it is the release's latest event.
 */
export const CONCURRENT_EVENTS: ReadonlySet<EventName> = new Set(["AnalysisStarted", "MeasurementDue", "MeasurementTaken"]);

/** Whether the release is in the phase that a measurement of `phase` belongs to. */
export function analysisPhaseOf(phase: Phase): AnalysisPhase | null {
  return phase === "analyzing" ? "prePromotion" : phase === "verifying" ? "postPromotion" : null;
}

/** The analysis an inconclusive release waits on: the later one that ran. */
export function inconclusiveAnalysis(s: ReleaseState): AnalysisPhase {
  return s.analysis?.postPromotion != null ? "postPromotion" : "prePromotion";
}

/** Whether production may be on v2 now: it moved (verifying, or inconclusive after the switch). */
function productionOnV2(s: ReleaseState): boolean {
  return s.phase === "switched" || s.phase === "verifying" || (s.phase === "inconclusive" && inconclusiveAnalysis(s) === "postPromotion");
}

export type TransitionResult =
  | { readonly kind: "applied"; readonly state: ReleaseState }
  | { readonly kind: "duplicate"; readonly state: ReleaseState }
  | { readonly kind: "refused"; readonly reason: string };

type From = Phase | "none";
type Guard<N extends EventName> = (s: ReleaseState, e: BatonEvent<N>) => string | undefined;
interface Rule<N extends EventName> {
  readonly from: readonly From[];
  readonly to: Phase | ((s: ReleaseState, e: BatonEvent<N>) => Phase);
  readonly guard?: Guard<N>;
}

const ACTIVE_PRE_SWITCH: readonly Phase[] = ["requested", "planned", "validating", "analyzing", "inconclusive", "awaiting_promotion", "promoting"];
const ANALYSIS_PHASES: readonly Phase[] = ["analyzing", "verifying"];

/** After validation, or a passed pre-promotion analysis: analysis first, then manual or automatic promotion. */
function afterValidation(s: ReleaseState): Phase {
  if (metricsOf(s.spec, "prePromotion").length > 0 && s.analysis?.prePromotion == null) return "analyzing";
  return s.spec?.promotion === "manual" ? "awaiting_promotion" : "promoting";
}

/** Refuses an analysis event of the other analysis than the phase's. */
const samePhase: Guard<"AnalysisStarted" | "MeasurementDue" | "MeasurementTaken" | "AnalysisPassed" | "AnalysisFailed" | "AnalysisInconclusive"> = (s, e) =>
  analysisPhaseOf(s.phase) === e.data.phase ? undefined : `it belongs to the ${e.data.phase} analysis, the release is ${s.phase}`;
const NON_TERMINAL: readonly Phase[] = PHASES.filter((p) => !TERMINAL_PHASES.has(p));

/** The transition table: for each event, the phases it may arrive in and the phase it leads to. */
export const TRANSITIONS: { readonly [N in EventName]: Rule<N> } = {
  ReleaseRequested: { from: ["none"], to: "requested" },
  ReleaseRejected: { from: ["none", "requested"], to: "rejected" },
  ReleasePlanned: { from: ["requested"], to: "planned" },
  PodsLive: {
    from: ["planned"],
    to: "validating",
    guard: (s) => (s.deadlinesExceeded.includes("planned") ? "the pods-live deadline has already passed" : undefined),
  },
  PodsFailed: { from: ["planned"], to: "rolling_back" },
  ValidationPassed: { from: ["validating"], to: afterValidation },
  ValidationFailed: { from: ["validating"], to: "rolling_back" },
  AnalysisStarted: { from: ANALYSIS_PHASES, to: (s) => s.phase, guard: samePhase },
  MeasurementDue: { from: ANALYSIS_PHASES, to: (s) => s.phase, guard: samePhase },
  MeasurementTaken: { from: ANALYSIS_PHASES, to: (s) => s.phase, guard: samePhase },
  AnalysisPassed: {
    from: ANALYSIS_PHASES,
    to: (s) => (s.phase === "verifying" ? "switched" : s.spec?.promotion === "manual" ? "awaiting_promotion" : "promoting"),
    guard: samePhase,
  },
  AnalysisFailed: { from: ANALYSIS_PHASES, to: "rolling_back", guard: samePhase },
  AnalysisInconclusive: { from: ANALYSIS_PHASES, to: "inconclusive", guard: samePhase },
  PromotionApproved: {
    from: ["awaiting_promotion", "inconclusive"],
    // Approving an inconclusive analysis after the switch keeps production on v2 and lets v1 go.
    to: (s) => (s.phase === "inconclusive" && inconclusiveAnalysis(s) === "postPromotion" ? "switched" : "promoting"),
  },
  AbortRequested: {
    from: [...ACTIVE_PRE_SWITCH, "verifying", "switched"],
    // Not planned yet: nothing was created, so nothing to tear down — it ends at once.
    to: (s) => (s.phase === "requested" ? "rolled_back" : "rolling_back"),
    guard: (s) =>
      productionOnV2(s) && s.previousRevision === null
        ? "no revision of the app was live before this one: there is no v1 to switch back to"
        : undefined,
  },
  TrafficSwitched: {
    from: ["promoting"],
    to: (s) => (metricsOf(s.spec, "postPromotion").length > 0 && s.previousRevision !== null ? "verifying" : "switched"),
  },
  TrafficSwitchedBack: {
    from: ["rolling_back"],
    to: "rolling_back",
    guard: (s) => (s.needsSwitchBack ? undefined : "production was not moved to v2: nothing to switch back"),
  },
  DrainDue: {
    from: ["switched"],
    to: "draining",
    guard: (s) => (s.previousRevision === null ? "no revision of the app was live before this one: there is no v1 to drain" : undefined),
  },
  DrainStarted: { from: ["draining"], to: "draining" },
  ShutdownDue: { from: ["draining"], to: "finalizing" },
  DeadlineExceeded: {
    from: NON_TERMINAL,
    to: (s) => (ROLL_BACK_ON_DEADLINE.has(s.phase) ? "rolling_back" : s.phase),
    guard: (s, e) =>
      e.data.phase === s.phase ? undefined : `stale deadline: it was set for ${e.data.phase}, the release is ${s.phase}`,
  },
  ReleaseCompleted: {
    from: ["finalizing", "switched"],
    to: "completed",
    guard: (s) =>
      s.phase === "switched" && s.previousRevision !== null ? "v1 has not been shut down yet (phase switched)" : undefined,
  },
  ReleaseRolledBack: {
    from: ["rolling_back"],
    to: "rolled_back",
    guard: (s) => (s.needsSwitchBack ? "production has not been switched back to v1 yet" : undefined),
  },
  ReleaseFailed: { from: NON_TERMINAL, to: "failed" },
};

/**
 * Deadlines of these phases roll the release back at once (nothing else will move it on).
 * A missed pods-live deadline leads to PodsFailed first; a missed deadline of `requested`,
 * `finalizing` or `rolling_back` is recorded and the stage that owns the phase ends the release.
 */
const ROLL_BACK_ON_DEADLINE: ReadonlySet<Phase> = new Set(["validating", "analyzing", "inconclusive", "awaiting_promotion", "promoting", "verifying"]);

/** Applies one event to a release's state (undefined before its first event). */
export function transition(state: ReleaseState | undefined, event: AnyEvent): TransitionResult {
  if (state !== undefined && state.applied.includes(event.id)) return { kind: "duplicate", state };
  if (state !== undefined && event.data.releaseId !== state.releaseId) {
    return { kind: "refused", reason: `event of release ${event.data.releaseId} applied to ${state.releaseId}` };
  }
  const rule = TRANSITIONS[event.name] as Rule<EventName>;
  const from: From = state?.phase ?? "none";
  if (!rule.from.includes(from)) return { kind: "refused", reason: refusalReason(event.name, from) };
  const base = state ?? initialState(event);
  const why = rule.guard?.(base, event);
  if (why !== undefined) return { kind: "refused", reason: `${event.name} refused: ${why}` };
  const phase = typeof rule.to === "function" ? rule.to(base, event) : rule.to;
  const recorded = record(base, event, phase);
  return {
    kind: "applied",
    state: {
      ...recorded,
      phase,
      updatedAt: event.time,
      enteredAt: phase === base.phase && state !== undefined ? base.enteredAt : { ...base.enteredAt, [phase]: event.time },
      applied: [...base.applied, event.id],
      lastEvent: event.name,
    },
  };
}

/** Why an event cannot arrive in a phase, in words an operator can act on. */
function refusalReason(name: EventName, from: From): string {
  if (from === "none") return `${name} refused: the release has no state yet (its first event must be ReleaseRequested or ReleaseRejected)`;
  if (TERMINAL_PHASES.has(from)) return `${name} refused: the release has already ended (${from})`;
  if (name === "AbortRequested" && (from === "draining" || from === "finalizing")) {
    return `AbortRequested refused: v1 is already shutting down (phase ${from}); production stays on v2`;
  }
  if (name === "PromotionApproved") {
    return from === "validating" || from === "planned" || from === "requested"
      ? `PromotionApproved refused: validation has not passed yet (phase ${from})`
      : `PromotionApproved refused: the release is not waiting for promotion (phase ${from})`;
  }
  return `${name} refused: not expected in phase ${from}`;
}

function initialState(event: AnyEvent): ReleaseState {
  const d = event.data;
  return {
    releaseId: d.releaseId,
    app: d.app,
    namespace: d.namespace,
    phase: "requested",
    spec: null,
    revision: null,
    previousRevision: null,
    fence: null,
    createdAt: event.time,
    updatedAt: event.time,
    enteredAt: {},
    applied: [],
    lastEvent: event.name,
    needsSwitchBack: false,
    pods: null,
    validation: null,
    approvedBy: null,
    abort: null,
    drain: null,
    forcedPods: null,
    postRelease: [],
    deadlinesExceeded: [],
    outcome: null,
    warnings: [],
    analysis: null,
  };
}

function outcome(reason: string, extra: Partial<ReleaseOutcome> = {}): ReleaseOutcome {
  return { reason, failures: [], reasons: [], stage: null, ...extra };
}

/** What each event records besides the phase. The switch is exhaustive: a new event must say. */
function record(s: ReleaseState, e: AnyEvent, to: Phase): ReleaseState {
  switch (e.name) {
    case "ReleaseRequested":
      return { ...s, spec: e.data.spec, ...(e.data.requestedVia ? { requestedVia: e.data.requestedVia } : {}) };
    case "ReleaseRejected":
      return { ...s, outcome: outcome(e.data.reasons.map((r) => r.message).join("; "), { reasons: e.data.reasons }) };
    case "ReleasePlanned":
      return { ...s, revision: e.data.revision, previousRevision: e.data.previousRevision, fence: e.data.fence, warnings: withWarnings(s, e.data.warnings) };
    case "PodsLive":
      return { ...s, pods: { ready: e.data.ready, desired: e.data.desired } };
    case "PodsFailed":
      return { ...s, pods: { ready: e.data.ready, desired: e.data.desired }, outcome: outcome(e.data.reason, { stage: "pod-manager" }) };
    case "ValidationPassed":
      return { ...s, validation: { checks: e.data.checks, warmup: e.data.warmup } };
    case "ValidationFailed":
      return {
        ...s,
        validation: { checks: e.data.checks, warmup: e.data.warmup },
        outcome: outcome(validationFailedReason(e.data.failures, e.data.warnings), { failures: e.data.failures, stage: "validator" }),
        warnings: withWarnings(s, e.data.warnings),
      };
    case "AnalysisStarted":
      return withRun(s, e.data.phase, (run) => run ?? { startedAt: e.time, endedAt: null, verdict: "running", measurements: [] });
    case "MeasurementDue":
      return s;
    case "MeasurementTaken": {
      const { releaseId: _r, app: _a, namespace: _n, ...m } = e.data;
      return withRun(s, m.phase, (run) => ({ ...(run ?? newRun(e.time)), measurements: [...(run?.measurements ?? []), m] }));
    }
    case "AnalysisPassed":
      return endRun(s, e.data.phase, "passed", e.time);
    case "AnalysisInconclusive":
      return endRun(s, e.data.phase, "inconclusive", e.time);
    case "AnalysisFailed":
      return {
        ...endRun(s, e.data.phase, "failed", e.time),
        needsSwitchBack: e.data.phase === "postPromotion",
        outcome: outcome(e.data.reason, {
          stage: "validator",
          failures: [{ name: e.data.metric, expected: conditionOf(e.data.measurements, e.data.metric), got: e.data.reason }],
        }),
      };
    case "PromotionApproved":
      return { ...s, approvedBy: e.data.by };
    case "AbortRequested":
      return {
        ...s,
        abort: { by: e.data.by, reason: e.data.reason },
        needsSwitchBack: productionOnV2(s) || (s.phase === "promoting" && s.previousRevision !== null),
        outcome: outcome(`aborted by ${e.data.by}: ${e.data.reason}`, { stage: "cli" }),
      };
    case "TrafficSwitched":
      return s;
    case "TrafficSwitchedBack":
      return { ...s, needsSwitchBack: false };
    case "DrainDue":
      return s;
    case "DrainStarted":
      return { ...s, drain: { pods: e.data.pods, gracePeriodSeconds: e.data.gracePeriodSeconds } };
    case "ShutdownDue":
      return s;
    case "DeadlineExceeded":
      return recordDeadline(s, e, to);
    case "ReleaseCompleted":
      return { ...s, forcedPods: e.data.forcedPods, postRelease: e.data.postRelease };
    case "ReleaseRolledBack":
      return { ...s, outcome: s.outcome ?? outcome(e.data.reason, { failures: e.data.failures }) };
    case "ReleaseFailed":
      return { ...s, outcome: outcome(e.data.cause, { stage: e.data.stage, failures: s.outcome?.failures ?? [] }) };
  }
}

/** The state's warnings with an event's appended (states stored before warnings existed have none). */
function withWarnings(s: ReleaseState, added: readonly Warning[] | undefined): readonly Warning[] {
  const before = s.warnings ?? [];
  return added === undefined || added.length === 0 ? before : [...before, ...added];
}

/** "validation failed: version", and what the validator saw that may explain it (the rollback's reason). */
function validationFailedReason(failures: readonly Failure[], warnings: readonly Warning[] | undefined): string {
  const hints = (warnings ?? []).map((w) => w.message);
  return [`validation failed: ${failures.map((f) => f.name).join(", ")}`, ...hints].join("; ");
}

function recordDeadline(s: ReleaseState, e: BatonEvent<"DeadlineExceeded">, to: Phase): ReleaseState {
  const deadlinesExceeded = [...s.deadlinesExceeded, e.data.phase];
  // Only a deadline that starts the rollback sets its cause; one of rolling_back itself is recorded
  // and leaves the switch-back duty and the original cause alone (the pod-manager ends the release).
  if (to !== "rolling_back" || s.phase === "rolling_back") return { ...s, deadlinesExceeded };
  return {
    ...s,
    deadlinesExceeded,
    needsSwitchBack: (s.phase === "promoting" && s.previousRevision !== null) || productionOnV2(s),
    outcome: outcome(`${e.data.phase} did not finish within ${e.data.deadlineSeconds}s`, {
      failures: [{ name: `${e.data.phase}-deadline`, expected: `done within ${e.data.deadlineSeconds}s`, got: "still waiting" }],
    }),
  };
}

function newRun(at: string): AnalysisRun {
  return { startedAt: at, endedAt: null, verdict: "running", measurements: [] };
}

function withRun(s: ReleaseState, phase: AnalysisPhase, f: (run: AnalysisRun | null) => AnalysisRun): ReleaseState {
  const analysis = s.analysis ?? { prePromotion: null, postPromotion: null };
  return { ...s, analysis: { ...analysis, [phase]: f(analysis[phase]) } };
}

function endRun(s: ReleaseState, phase: AnalysisPhase, verdict: AnalysisRun["verdict"], at: string): ReleaseState {
  return withRun(s, phase, (run) => ({ ...(run ?? newRun(at)), endedAt: at, verdict }));
}

function conditionOf(measurements: readonly Measurement[], metric: string): string {
  return measurements.findLast((m) => m.metric === metric)?.condition ?? "";
}

/** Replays events from nothing: the state after each, and each refusal (for `baton replay`). */
export function replay(events: readonly AnyEvent[]): { state: ReleaseState | undefined; steps: ReplayStep[] } {
  let state: ReleaseState | undefined;
  const steps: ReplayStep[] = [];
  for (const event of events) {
    const r = transition(state, event);
    if (r.kind === "refused") steps.push({ event, result: "refused", reason: r.reason, phase: state?.phase ?? null });
    else {
      state = r.state;
      steps.push({ event, result: r.kind, phase: state.phase });
    }
  }
  return { state, steps };
}

export interface ReplayStep {
  readonly event: AnyEvent;
  readonly result: "applied" | "duplicate" | "refused";
  readonly phase: Phase | null;
  readonly reason?: string;
}
