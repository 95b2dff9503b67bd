import {
  analysisPhaseOf,
  analysisStatus,
  judgeReading,
  measurementStep as step_,
  metricStatus,
  metricsOf,
  type AnalysisMetric,
  type AnalysisPhase,
  type EventName,
  type Measurement,
  type ReleaseState,
} from "@baton/contracts";
import { ack, step, type Handler, type HandlerContext, type Outcome } from "@baton/runtime";
import type { ValidatorDeps } from "../deps.js";
import { measure } from "../analysis/measure.js";

// Analysis (issue 14): the validator measures the spec's metrics before the switch (phase
// analyzing, after ValidationPassed) and after it (verifying, after TrafficSwitched, while v1 runs).
//   start      on entering the phase, AnalysisStarted; on AnalysisStarted, one timer per metric
//              (MeasurementDue #0 after initialDelaySeconds)
//   measure    on MeasurementDue: query, judge, emit MeasurementTaken (its id names the release,
//              the analysis, the metric and the index: a measurement is recorded once), then
//   decide     from the state that recorded it: the metric's next MeasurementDue after `interval`,
//              or the analysis's verdict — AnalysisFailed as soon as one metric fails,
//              AnalysisPassed / AnalysisInconclusive when every metric ended. Whatever takes the
//              release out of the analysis (its verdict, an abort, the deadline) cancels the
//              measurements still due (runtime's record: contracts' abandonedMeasurementSteps).
// Every wait is a Redis timer, so a restart loses no measurement; a MeasurementDue delivered again
// after its measurement was recorded does not measure again: it only decides again (idempotent).

type StartEvent = "ValidationPassed" | "TrafficSwitched";

/** ValidationPassed or TrafficSwitched: the release entered an analysis phase when its spec asks for one. */
export function onAnalysisPhase<N extends StartEvent>(): Handler<N> {
  return async (ctx) => {
    const phase = analysisPhaseOf(ctx.state.phase);
    if (phase === null) return ack; // no analysis asked for: the release goes on as before
    const metrics = metricsOf(ctx.state.spec, phase).map((m) => m.name);
    await ctx.emit("AnalysisStarted", { phase, metrics }, { step: phase });
    return ack;
  };
}

/**
 * AnalysisStarted: one timer per metric, its first measurement due after initialDelaySeconds. A
 * concurrent event (CONCURRENT_EVENTS): delivered again after a crash it still runs while the
 * analysis does, and adding a timer that exists or has fired is a no-op.
 */
export function onAnalysisStarted(): Handler<"AnalysisStarted"> {
  return async (ctx) => {
    const { phase } = ctx.event.data;
    const metrics = metricsOf(ctx.state.spec, phase);
    for (const m of metrics) {
      await ctx.schedule("MeasurementDue", { phase, metric: m.name, index: 0 }, { inMs: m.initialDelaySeconds * 1000 }, { step: step_(phase, m.name, 0) });
    }
    ctx.log.info({ phase, metrics: metrics.map((m) => m.name) }, `${phase} analysis: first measurements scheduled`);
    return ack;
  };
}

export function onMeasurementDue(deps: ValidatorDeps): Handler<"MeasurementDue"> {
  return async (ctx) => {
    const { phase, metric: name, index } = ctx.event.data;
    const metric = metricsOf(ctx.state.spec, phase).find((m) => m.name === name);
    if (metric === undefined) {
      ctx.log.warn({ phase, metric: name }, "skipped: the spec has no such metric");
      return ack;
    }
    let state = ctx.state;
    if (measurementOf(state, phase, name, index) === undefined) {
      const reading = await measure(deps, ctx.rt.metrics, ctx.release, state, metric, ctx.signal);
      if (ctx.signal.aborted) return ack; // shutting down: redelivered, measured by another replica
      const judged = judgeReading(metric, reading);
      const r = await step("emitMeasurement", ctx.release.releaseId, () =>
        ctx.emit("MeasurementTaken", { phase, metric: name, index, ...judged }, { step: step_(phase, name, index) }),
      );
      if (!r.emitted) return ack; // the analysis ended meanwhile (another metric failed, an abort, its deadline)
      ctx.rt.metrics.analysisMeasurements.inc({ metric: name, verdict: judged.verdict });
      ctx.log.info({ phase, metric: name, index, verdict: judged.verdict, value: judged.value }, judged.message);
      state = r.state ?? state;
    }
    return decide(ctx, state, phase, metric);
  };
}

function measurementsOf(s: ReleaseState, phase: AnalysisPhase): readonly Measurement[] {
  return s.analysis?.[phase]?.measurements ?? [];
}

function measurementOf(s: ReleaseState, phase: AnalysisPhase, metric: string, index: number): Measurement | undefined {
  return measurementsOf(s, phase).find((m) => m.metric === metric && m.index === index);
}

async function decide(ctx: HandlerContext<"MeasurementDue">, s: ReleaseState, phase: AnalysisPhase, metric: AnalysisMetric): Promise<Outcome> {
  const metrics = metricsOf(s.spec, phase);
  const measurements = measurementsOf(s, phase);
  const status = analysisStatus(metrics, measurements);
  if (status.kind === "running") {
    const own = metricStatus(metric, measurements);
    if (own.kind === "running") {
      const data = { phase, metric: metric.name, index: own.next };
      await ctx.schedule("MeasurementDue", data, { inMs: metric.interval * 1000 }, { step: step_(phase, metric.name, own.next) });
    }
    return ack;
  }
  const all = [...measurements];
  if (status.kind === "failed") {
    await end(ctx, s, phase, "failed", "AnalysisFailed", { phase, metric: status.metric, reason: status.message, measurements: all });
  } else if (status.kind === "inconclusive") {
    await end(ctx, s, phase, "inconclusive", "AnalysisInconclusive", { phase, metrics: [...status.metrics], reason: status.message, measurements: all });
  } else {
    await end(ctx, s, phase, "passed", "AnalysisPassed", { phase, measurements: all });
  }
  return ack;
}

async function end<N extends "AnalysisPassed" | "AnalysisFailed" | "AnalysisInconclusive">(
  ctx: HandlerContext<"MeasurementDue">,
  s: ReleaseState,
  phase: AnalysisPhase,
  verdict: string,
  name: N & EventName,
  data: Parameters<HandlerContext<"MeasurementDue">["emit"]>[1],
): Promise<void> {
  const r = await ctx.emit(name, data as never, { step: phase });
  if (!r.emitted) return;
  const started = s.analysis?.[phase]?.startedAt;
  if (started !== undefined) ctx.rt.metrics.analysisSeconds.observe({ phase, verdict }, (ctx.rt.clock().getTime() - Date.parse(started)) / 1000);
  if (verdict === "failed") ctx.log.warn({ phase }, `${phase} analysis failed: ${(data as { reason: string }).reason}`);
  else ctx.log.info({ phase, verdict }, `${phase} analysis ${verdict}`);
}
