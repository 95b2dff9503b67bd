// @baton/contracts: the language every part of Baton speaks. Depends on zod only.

export { DNS1035_LABEL, DNS1123_LABEL, IMAGE_REFERENCE, MAX_APP_NAME, RELEASE_ID, imageTag } from "./names.js";
export { APP_PATH, APP_PATH_DOTS_RULE, APP_PATH_RULE, appPathProblem, sameOrigin } from "./app-path.js";
export {
  HOST_ENTRY,
  PROMETHEUS_ADDRESS_RULE,
  SECRET_APP_LABEL,
  SECRET_BINDING_RULE,
  WEBHOOK_HOST_RULE,
  grantedByConfig,
  prometheusAddressRefusals,
  hostAllowed,
  secretBindingProblem,
  secretBindingRefusal,
  secretUses,
  webhookHostProblem,
  webhookRefusal,
  webhookRefusals,
} from "./references.js";
export type { HostAllowList, SecretBinding, SecretUse } from "./references.js";
export { formatPath, reasonsFromZod } from "./reasons.js";
export type { Reason } from "./reasons.js";
export { ExpressionError, expressionProblem, parseExpression } from "./expression.js";
export type { Expression, Value } from "./expression.js";
export {
  TEMPLATE_NAMES,
  abandonedMeasurementSteps,
  analysisSeconds,
  analysisStatus,
  conditionText,
  formatValue,
  judgeReading,
  measurementStep,
  metricStatus,
  metricsOf,
  renderTemplate,
} from "./analysis.js";
export type { AnalysisStatus, Judgement, MetricStatus, Reading, TemplateValues } from "./analysis.js";
export {
  Analysis,
  AnalysisMetric,
  IntakeBody,
  PodTemplate,
  PostReleaseActivity,
  ReleaseSpec,
  SecretKeyRef,
  TestCheck,
} from "./spec.js";
export type { ReleaseSpecInput } from "./spec.js";
export {
  ActivityResult,
  AnalysisPhase,
  CheckResult,
  DeadlinePhase,
  EVENTS,
  EVENT_NAMES,
  Failure,
  RequestedVia,
  Measurement,
  MeasurementVerdict,
  Stage,
  WarmupResult,
  eventNameOfToken,
  eventToken,
} from "./events.js";
export type { EventData, EventDataInput, EventName } from "./events.js";
export {
  CloudEventEnvelope,
  decodeEvent,
  encodeEvent,
  eventId,
  eventNameOfType,
  eventType,
  makeEvent,
  parseEvent,
  toWire,
} from "./envelope.js";
export type { AnyEvent, BatonEvent, MakeEventOptions, ParseResult } from "./envelope.js";
export { DEFAULT_PREFIX, INTAKE_SUBJECT, NO_NAME, subjects } from "./subjects.js";
export type { Subjects } from "./subjects.js";
export { FORBIDDEN_NAMESPACES, MAX_INTAKE_BYTES, namespaceRefusal, parseIntake } from "./intake.js";
export type { IntakePolicy, IntakeRefusal, IntakeRequest, IntakeResult } from "./intake.js";
export { CONCURRENT_EVENTS, PHASES, TERMINAL_PHASES, TRANSITIONS, analysisPhaseOf, inconclusiveAnalysis, isTerminal, replay, transition } from "./state.js";
export type { AnalysisRun, Phase, ReleaseAnalysis, ReleaseOutcome, ReleaseState, ReplayStep, TransitionResult } from "./state.js";
export { RELEASE_GROUP, RELEASE_VERSION, releaseIdOfObject, releaseObjectOf, requestedViaRelease } from "./release-object.js";
export type { ReleaseObjectRef } from "./release-object.js";
export { jsonSchemas } from "./json-schema.js";
export { NO_READINESS_PROBE, STARTING_PODS, Warning, noReadinessProbe, startingPods } from "./warnings.js";
export type { SchemaFile } from "./json-schema.js";
export { DEFAULT_DEADLINES, isDeadlinePhase, phaseDeadlineSeconds } from "./deadlines.js";
export type { DeadlineDefaults } from "./deadlines.js";
export type {
  ActionRequest,
  ActionResponse,
  ApiError,
  AppHistory,
  AttentionReason,
  ConsoleAction,
  ConsoleEvent,
  ConsoleMe,
  ConsoleRole,
  ConsoleSignIn,
  DeadLetterView,
  PodView,
  PodsView,
  ReleaseDetail,
  ReleaseList,
  ReleaseSummary,
  StreamMessage,
} from "./console.js";
