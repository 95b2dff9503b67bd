import { z } from "zod";
import { DNS1035_LABEL, DNS1123_LABEL, RELEASE_ID } from "./names.js";
import { ReleaseSpec } from "./spec.js";
import { Warnings } from "./warnings.js";

// Every event of a release: its name (the contract's name, as in DESIGN.md), its wire token
// (used in the CloudEvents type and the NATS subject) and the schema of its data.

const ReleaseId = z.string().regex(RELEASE_ID);
const Revision = z.number().int().min(1);

/** What every event's data carries: which release, of which app. */
const Base = z.strictObject({
  releaseId: ReleaseId,
  app: z.string().max(55).regex(DNS1035_LABEL),
  namespace: z.string().max(63).regex(DNS1123_LABEL),
});

export const ReasonData = z.strictObject({ path: z.string(), rule: z.string(), message: z.string() });

/** One failed check, as a person reads it: what was expected and what came back. */
export const Failure = z.strictObject({ name: z.string(), expected: z.string(), got: z.string() });
export type Failure = z.infer<typeof Failure>;

export const CheckResult = z.strictObject({
  name: z.string(),
  passed: z.boolean(),
  expected: z.string(),
  got: z.string(),
  latencyMs: z.number().min(0),
});
export type CheckResult = z.infer<typeof CheckResult>;

export const WarmupResult = z.strictObject({
  requests: z.number().int().min(0),
  errors: z.number().int().min(0),
  errorRate: z.number().min(0).max(1),
  maxErrorRate: z.number().min(0).max(1),
  p50Ms: z.number().min(0),
  p99Ms: z.number().min(0),
  passed: z.boolean(),
});
export type WarmupResult = z.infer<typeof WarmupResult>;

export const PodSummary = z.strictObject({
  name: z.string(),
  phase: z.string(),
  ready: z.boolean(),
  reason: z.string().optional(),
});

export const ActivityResult = z.strictObject({
  name: z.string(),
  kind: z.enum(["sql", "webhook"]),
  ok: z.boolean(),
  skipped: z.boolean().optional(),
  detail: z.string(),
  durationMs: z.number().min(0),
});
export type ActivityResult = z.infer<typeof ActivityResult>;

/** Phases a deadline can be set on: every non-terminal phase of the state machine. */
export const DeadlinePhase = z.enum([
  "requested",
  "planned",
  "validating",
  "analyzing",
  "inconclusive",
  "awaiting_promotion",
  "promoting",
  "verifying",
  "switched",
  "draining",
  "finalizing",
  "rolling_back",
]);
export type DeadlinePhase = z.infer<typeof DeadlinePhase>;

export const Stage = z.enum(["intake", "planner", "pod-manager", "validator", "traffic-switcher", "reaper", "cli", "timer"]);
export type Stage = z.infer<typeof Stage>;

const who = z.string().min(1).max(256);

/**
 * The CloudEvent a release request arrived as, kept when the intake stores it as its own
 * ReleaseRequested (whose envelope `source` is then `baton/intake` and whose `id` is Baton's):
 * the caller's `source`, `id` and `subject`, as the caller sent them. In `data`, not in extension
 * attributes: it is part of what the release records and replays, checked by the contract, and
 * read by the state machine (a Release object is found from it).
 */
export const RequestedVia = z.strictObject({
  source: z.string().min(1).max(256),
  id: z.string().min(1).max(256),
  subject: z.string().min(1).max(256).optional(),
});
export type RequestedVia = z.infer<typeof RequestedVia>;

/** Which analysis: before the switch (v2 on test and warm-up traffic) or after it (v2 on production). */
export const AnalysisPhase = z.enum(["prePromotion", "postPromotion"]);
export type AnalysisPhase = z.infer<typeof AnalysisPhase>;

export const MeasurementVerdict = z.enum(["successful", "failed", "inconclusive", "error"]);
export type MeasurementVerdict = z.infer<typeof MeasurementVerdict>;

/** One measurement of one metric: the value read, the condition it was judged by, the verdict, in words. */
export const Measurement = z.strictObject({
  phase: AnalysisPhase,
  metric: z.string(),
  /** 0, 1, 2… per metric and phase: with the release and the phase, the measurement's identity. */
  index: z.number().int().min(0),
  /** The measured value as text (0.031, [0.1, 0.2]); null with no data or an error. */
  value: z.string().max(1024).nullable(),
  condition: z.string(),
  verdict: MeasurementVerdict,
  /** "error-rate: 0.031 did not pass result < 0.01". */
  message: z.string().max(2048),
});
export type Measurement = z.infer<typeof Measurement>;

/** name → [wire token, data schema]. Order follows a release's path. */
export const EVENTS = {
  ReleaseRequested: ["requested", Base.extend({ spec: ReleaseSpec, requestedBy: who.optional(), requestedVia: RequestedVia.optional() })],
  ReleaseRejected: [
    "rejected",
    z.strictObject({
      releaseId: ReleaseId,
      app: z.string().nullable(),
      namespace: z.string().nullable(),
      reasons: z.array(ReasonData).min(1),
    }),
  ],
  ReleasePlanned: [
    "planned",
    Base.extend({
      revision: Revision,
      previousRevision: Revision.nullable(),
      fence: z.number().int().min(1),
      /** What the plan found worth saying (no readinessProbe …); absent when nothing. */
      warnings: Warnings.optional(),
    }),
  ],
  PodsLive: ["pods_live", Base.extend({ revision: Revision, ready: z.number().int(), desired: z.number().int() })],
  PodsFailed: [
    "pods_failed",
    Base.extend({
      revision: Revision,
      ready: z.number().int(),
      desired: z.number().int(),
      reason: z.string(),
      pods: z.array(PodSummary),
    }),
  ],
  ValidationPassed: [
    "validation_passed",
    Base.extend({ revision: Revision, checks: z.array(CheckResult), warmup: WarmupResult.nullable() }),
  ],
  ValidationFailed: [
    "validation_failed",
    Base.extend({
      revision: Revision,
      checks: z.array(CheckResult),
      warmup: WarmupResult.nullable(),
      failures: z.array(Failure).min(1),
      /** What may explain the failures (503s from pods that had only just started …); absent when nothing. */
      warnings: Warnings.optional(),
    }),
  ],
  AnalysisStarted: ["analysis_started", Base.extend({ phase: AnalysisPhase, metrics: z.array(z.string()) })],
  MeasurementDue: ["measurement_due", Base.extend({ phase: AnalysisPhase, metric: z.string(), index: z.number().int().min(0) })],
  MeasurementTaken: ["measurement_taken", Base.extend(Measurement.shape)],
  AnalysisPassed: ["analysis_passed", Base.extend({ phase: AnalysisPhase, measurements: z.array(Measurement) })],
  AnalysisFailed: [
    "analysis_failed",
    Base.extend({ phase: AnalysisPhase, metric: z.string(), reason: z.string(), measurements: z.array(Measurement) }),
  ],
  AnalysisInconclusive: [
    "analysis_inconclusive",
    Base.extend({ phase: AnalysisPhase, metrics: z.array(z.string()), reason: z.string(), measurements: z.array(Measurement) }),
  ],
  PromotionApproved: ["promotion_approved", Base.extend({ by: who })],
  AbortRequested: ["abort_requested", Base.extend({ by: who, reason: z.string().max(1024) })],
  TrafficSwitched: [
    "traffic_switched",
    Base.extend({ from: Revision.nullable(), to: Revision, endpoints: z.number().int().min(0) }),
  ],
  TrafficSwitchedBack: ["traffic_switched_back", Base.extend({ from: Revision, to: Revision, endpoints: z.number().int() })],
  DrainDue: ["drain_due", Base.extend({ revision: Revision })],
  DrainStarted: [
    "drain_started",
    Base.extend({ revision: Revision, pods: z.number().int().min(0), gracePeriodSeconds: z.number().int().min(0) }),
  ],
  ShutdownDue: ["shutdown_due", Base.extend({ revision: Revision })],
  DeadlineExceeded: ["deadline_exceeded", Base.extend({ phase: DeadlinePhase, deadlineSeconds: z.number().min(0) })],
  ReleaseCompleted: [
    "completed",
    Base.extend({
      revision: Revision,
      previousRevision: Revision.nullable(),
      forcedPods: z.number().int().min(0),
      postRelease: z.array(ActivityResult),
    }),
  ],
  ReleaseRolledBack: [
    "rolled_back",
    Base.extend({ revision: Revision.nullable(), reason: z.string(), failures: z.array(Failure) }),
  ],
  ReleaseFailed: ["failed", Base.extend({ stage: Stage, cause: z.string() })],
} as const;

export type EventName = keyof typeof EVENTS;
export type EventData<N extends EventName> = z.output<(typeof EVENTS)[N][1]>;
export type EventDataInput<N extends EventName> = z.input<(typeof EVENTS)[N][1]>;

export const EVENT_NAMES = Object.keys(EVENTS) as EventName[];

export function eventToken(name: EventName): string {
  return EVENTS[name][0];
}

const BY_TOKEN = new Map<string, EventName>(EVENT_NAMES.map((n) => [EVENTS[n][0], n]));

export function eventNameOfToken(token: string): EventName | undefined {
  return BY_TOKEN.get(token);
}
