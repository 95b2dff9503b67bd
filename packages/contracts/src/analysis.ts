import { ExpressionError, parseExpression, type Value } from "./expression.js";
import type { AnalysisPhase, Measurement, MeasurementVerdict } from "./events.js";
import type { AnalysisMetric, ReleaseSpec } from "./spec.js";
import type { ReleaseState } from "./state.js";

// Analysis, the pure part: templates of queries, the verdict of one measurement, and where a
// metric and a whole analysis stand after the measurements so far. The validator measures and
// emits; the state machine records; `baton events` explains — all with this one module.
//
// A measurement is successful, failed, inconclusive or an error:
//   - error: the query could not be made or its condition could not be evaluated (it does not
//     count towards `count`; past `consecutiveErrorLimit` errors in a row the metric fails);
//   - no data (an empty vector, NaN, nothing at the JSON path): `noDataIs` decides;
//   - failureCondition true → failed; else successCondition true → successful; else with both
//     conditions set → inconclusive, with only successCondition → failed; with only
//     failureCondition → successful.
// A metric fails past `failureLimit` failed measurements, is inconclusive past
// `inconclusiveLimit` inconclusive ones, and passes after `count` measurements with a verdict
// (successful or failed): an inconclusive measurement, like an error, does not count, so a metric
// that never got a value (no data, inconclusive within its limit) never passes by running out.

export const TEMPLATE_NAMES = ["app", "namespace", "revision", "previousRevision", "releaseId", "podTemplateHash", "interval"] as const;
export type TemplateValues = { readonly [K in (typeof TEMPLATE_NAMES)[number]]: string };

/** Fills `{{app}}`, `{{revision}}`… (unknown names were refused by the spec). */
export function renderTemplate(text: string, values: TemplateValues): string {
  return text.replace(/\{\{\s*([A-Za-z]+)\s*\}\}/g, (whole, name: string) => (name in values ? values[name as keyof TemplateValues] : whole));
}

export function metricsOf(spec: ReleaseSpec | null, phase: AnalysisPhase): readonly AnalysisMetric[] {
  return spec?.analysis?.[phase] ?? [];
}

/** What a provider returned: a value, no data (with why), or an error. */
export type Reading = { readonly kind: "value"; readonly value: Value } | { readonly kind: "no-data"; readonly why: string } | { readonly kind: "error"; readonly error: string };

export interface Judgement {
  readonly verdict: MeasurementVerdict;
  readonly value: string | null;
  readonly condition: string;
  readonly message: string;
}

/** The measured value as people read it: 0.031 (a one-sample vector too), [0.1, 0.2], "ok". */
export function formatValue(v: Value): string {
  if (Array.isArray(v) && v.length === 1 && typeof v[0] === "number") return formatValue(v[0]);
  if (typeof v === "number") return Number.isFinite(v) ? String(Number(v.toPrecision(6))) : String(v);
  if (Array.isArray(v) && v.every((x) => typeof x === "number")) return `[${v.map((x) => formatValue(x)).join(", ")}]`;
  const text = JSON.stringify(v);
  return text.length > 256 ? `${text.slice(0, 253)}...` : text;
}

/** The condition as written in the metric, for the event: "result < 0.01", or both joined. */
export function conditionText(m: AnalysisMetric): string {
  const parts = [m.successCondition === undefined ? null : `success: ${m.successCondition}`, m.failureCondition === undefined ? null : `failure: ${m.failureCondition}`];
  return parts.filter((p) => p !== null).join("; ");
}

/** Judges one reading of a metric. */
export function judgeReading(m: AnalysisMetric, r: Reading): Judgement {
  const condition = conditionText(m);
  if (r.kind === "error") return { verdict: "error", value: null, condition, message: `${m.name}: error: ${r.error}` };
  if (r.kind === "no-data") {
    const verdict: MeasurementVerdict = m.noDataIs === "success" ? "successful" : m.noDataIs === "failure" ? "failed" : "inconclusive";
    return { verdict, value: null, condition, message: `${m.name}: no data (${r.why}); noDataIs: ${m.noDataIs}` };
  }
  const value = formatValue(r.value);
  try {
    if (m.failureCondition !== undefined && test(m.failureCondition, r.value)) {
      return { verdict: "failed", value, condition, message: `${m.name}: ${value} met the failure condition ${m.failureCondition}` };
    }
    if (m.successCondition === undefined) return { verdict: "successful", value, condition, message: `${m.name}: ${value} did not meet the failure condition ${m.failureCondition}` };
    if (test(m.successCondition, r.value)) return { verdict: "successful", value, condition, message: `${m.name}: ${value} passed ${m.successCondition}` };
    if (m.failureCondition !== undefined) {
      return { verdict: "inconclusive", value, condition, message: `${m.name}: ${value} met neither ${m.successCondition} nor ${m.failureCondition}` };
    }
    return { verdict: "failed", value, condition, message: `${m.name}: ${value} did not pass ${m.successCondition}` };
  } catch (err) {
    if (!(err instanceof ExpressionError)) throw err;
    return { verdict: "error", value, condition, message: `${m.name}: error: ${value}: ${err.message}` };
  }
}

function test(expr: string, value: Value): boolean {
  const out = parseExpression(expr).evaluate(value);
  if (typeof out !== "boolean") throw new ExpressionError(`${expr}: must be true or false, got ${formatValue(out)}`);
  return out;
}

export type MetricStatus =
  | { readonly kind: "running"; readonly next: number }
  | { readonly kind: "successful"; readonly message: string }
  | { readonly kind: "failed"; readonly message: string }
  | { readonly kind: "inconclusive"; readonly message: string };

/** Where a metric stands after its measurements (in index order); `next`: the index to take next. */
export function metricStatus(m: AnalysisMetric, measurements: readonly Measurement[]): MetricStatus {
  const own = measurements.filter((x) => x.metric === m.name).sort((a, b) => a.index - b.index);
  let failed = 0;
  let inconclusive = 0;
  let counted = 0;
  let errorsInRow = 0;
  for (const x of own) {
    if (x.verdict === "error") errorsInRow++;
    else {
      errorsInRow = 0;
      if (x.verdict === "inconclusive") inconclusive++;
      else counted++;
      if (x.verdict === "failed") failed++;
    }
    if (errorsInRow > m.consecutiveErrorLimit) {
      return { kind: "failed", message: `${m.name}: ${errorsInRow} errors in a row (consecutiveErrorLimit ${m.consecutiveErrorLimit}); last: ${x.message}` };
    }
    if (failed > m.failureLimit) return { kind: "failed", message: limitMessage(x.message, failed, "failed", "failureLimit", m.failureLimit) };
    if (inconclusive > m.inconclusiveLimit) {
      return { kind: "inconclusive", message: limitMessage(x.message, inconclusive, "inconclusive", "inconclusiveLimit", m.inconclusiveLimit) };
    }
  }
  if (counted >= m.count) return { kind: "successful", message: `${m.name}: ${counted} of ${m.count} measurements done, ${failed} failed, ${inconclusive} inconclusive` };
  return { kind: "running", next: own.length === 0 ? 0 : (own.at(-1) as Measurement).index + 1 };
}

function limitMessage(last: string, n: number, what: string, limit: string, max: number): string {
  return max === 0 ? last : `${last} (${n} ${what}, ${limit} ${max})`;
}

export type AnalysisStatus =
  | { readonly kind: "running" }
  | { readonly kind: "passed" }
  | { readonly kind: "failed"; readonly metric: string; readonly message: string }
  | { readonly kind: "inconclusive"; readonly metrics: readonly string[]; readonly message: string };

/** The analysis's verdict: failed as soon as one metric fails; else running until every metric ends. */
export function analysisStatus(metrics: readonly AnalysisMetric[], measurements: readonly Measurement[]): AnalysisStatus {
  const statuses = metrics.map((m) => ({ m, s: metricStatus(m, measurements) }));
  const failed = statuses.find((x) => x.s.kind === "failed");
  if (failed !== undefined) return { kind: "failed", metric: failed.m.name, message: (failed.s as { message: string }).message };
  if (statuses.some((x) => x.s.kind === "running")) return { kind: "running" };
  const inconclusive = statuses.filter((x) => x.s.kind === "inconclusive");
  if (inconclusive.length > 0) {
    return { kind: "inconclusive", metrics: inconclusive.map((x) => x.m.name), message: inconclusive.map((x) => (x.s as { message: string }).message).join("; ") };
  }
  return { kind: "passed" };
}

/** The step of a measurement's events (MeasurementDue, MeasurementTaken): with the release, its identity. */
export function measurementStep(phase: AnalysisPhase, metric: string, index: number): string {
  return `${phase}/${metric}/${index}`;
}

/**
 * The steps of the measurements still due in an analysis the release has left (its verdict, an
 * abort, a deadline): their timers are cancelled, so no stale MeasurementDue lands in the stream.
 */
export function abandonedMeasurementSteps(s: ReleaseState): string[] {
  return (["prePromotion", "postPromotion"] as const).flatMap((phase) => {
    const run = s.analysis?.[phase];
    if (run == null || s.phase === (phase === "prePromotion" ? "analyzing" : "verifying")) return [];
    return metricsOf(s.spec, phase).flatMap((m) => {
      const st = metricStatus(m, run.measurements);
      return st.kind === "running" ? [measurementStep(phase, m.name, st.next)] : [];
    });
  });
}

/**
 * The longest an analysis can take when every metric measures on time: its initial delay, then
 * `count` intervals plus the errors and inconclusive measurements it may take on the way. The
 * phase's deadline adds the installation's margin.
 */
export function analysisSeconds(metrics: readonly AnalysisMetric[]): number {
  return metrics.reduce((most, m) => Math.max(most, m.initialDelaySeconds + m.interval * (m.count - 1 + m.consecutiveErrorLimit + m.inconclusiveLimit)), 0);
}
