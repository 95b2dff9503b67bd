// @baton/runtime: what every service shares. Depends on @baton/contracts only (and its drivers).

export { Bus } from "./bus.js";
export type { BusOptions, PublishResult } from "./bus.js";
export { ConfigSchema, configWith, loadConfig } from "./config.js";
export type { Config } from "./config.js";
export { controlRefusal, requestControl, sendControl } from "./control.js";
export type { ControlByIdResult, ControlEvent, ControlRequest, ControlResult } from "./control.js";
export { ack, backoffMs, consume, durableName, listDeadLetters, retry, terminal } from "./consumer.js";
export type { ConsumeHooks, ConsumerSpec, Consumption, DeadLetter, Delivery, Outcome } from "./consumer.js";
export {
  BatonError,
  ConfigError,
  ConflictError,
  RetryableError,
  StepError,
  TerminalError,
  UnavailableError,
  UnrecordedError,
  isRetryable,
  messageOf,
  step,
} from "./errors.js";
export { startHealthServer } from "./http.js";
export { startJanitor } from "./janitor.js";
export type { HealthServer } from "./http.js";
export { newReleaseId } from "./ids.js";
export { VERSION, createLogger, redactCredentials, redactObject } from "./logger.js";
export type { Logger, LoggerSettings } from "./logger.js";
export { createMetrics } from "./metrics.js";
export { mergeOver, podTemplateFor, servingContainer } from "./pod-template.js";
export type { Metrics } from "./metrics.js";
export { ENDED, NotOwnedError, assertOwned, failIfNotOwned, notOwnedCause, ownershipProblem } from "./ownership.js";
export type { OwnedKind, Owner } from "./ownership.js";
export { connectRedis, redisKeys } from "./redis.js";
export type { Redis, RedisKeys } from "./redis.js";
export { deadlinesOf, emit, eventOf, record, schedule } from "./runtime.js";
export type { EmitData, EmitResult, Runtime, TimerPayload } from "./runtime.js";
export { openRuntime, runMain, startService, startServices } from "./service.js";
export type {
  Component,
  OpenOptions,
  OpenRuntime,
  ServiceHandle,
  ServiceModule,
  ServiceParts,
  StartOptions,
} from "./service.js";
export { startStage } from "./stage.js";
export { kubeEventRecorder, uidOrNone } from "./kube-event-recorder.js";
export type { KubeEventRecorder, UidReader } from "./kube-event-recorder.js";
export { kubeEventsFor } from "./kube-events.js";
export type { KubeEventSpec, KubeEventTarget } from "./kube-events.js";
export type { Handler, HandlerContext, Handlers, RunningStage, StageDefinition } from "./stage.js";
export { ReleaseStore } from "./store.js";
export type { ApplyResult, LockResult, StoredRelease } from "./store.js";
export { PodWatchHub } from "./pod-watch.js";
export type { PodListener, PodWatchOptions } from "./pod-watch.js";
export { startTimerPump } from "./timer-pump.js";
export type { PumpOptions, TimerPump } from "./timer-pump.js";
export { TimerStore } from "./timers.js";
export { continueTrace, inSpan, isTraceparent, newTraceparent, startTracing, traceIdOf, traceparentOf } from "./tracing.js";
export type { Tracing } from "./tracing.js";
export type { DueTimer, TimerSpec } from "./timers.js";
export {
  LABEL_APP,
  LABEL_MANAGED_BY,
  LABEL_RELEASE,
  LABEL_REVISION,
  MANAGED_BY,
  deploymentName,
  isConflict,
  isNotFound,
  kubeCall,
  kubeGetOrNull,
  kubeError,
  kubeStatus,
  loadKubeConfig,
  previewServiceName,
  productionServiceName,
  readyServiceEndpoints,
  revisionOfSelector,
  reuseConnections,
  timeOutRequests,
  revisionSelector,
  sameSelector,
  selectorPatch,
  serviceUrl,
  serviceUrlOf,
  SERVICE_ADDRESS_ANNOTATION,
} from "./kube.js";
export type { ServiceEndpoint } from "./kube.js";
