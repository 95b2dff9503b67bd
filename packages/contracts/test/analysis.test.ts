import { describe, expect, test } from "vitest";
import {
  abandonedMeasurementSteps,
  replay,
  AnalysisMetric,
  ExpressionError,
  IntakeBody,
  analysisStatus,
  judgeReading,
  metricStatus,
  parseExpression,
  reasonsFromZod,
  prometheusAddressRefusals,
  renderTemplate,
  secretUses,
  webhookRefusals,
  type Measurement,
} from "@baton/contracts";
import { spec, specInput } from "@baton/contracts/testing";

// Issue 14: the condition language, the verdict of a measurement and of a metric, the spec's rules.

const evaluate = (expr: string, result: unknown) => parseExpression(expr).evaluate(result as never);

describe("conditions: a safe expression language over result", () => {
  test("comparisons, logic, arithmetic, indexing, fields and functions", () => {
    expect(evaluate("result >= 0.99", 0.995)).toBe(true);
    expect(evaluate("result[0] < 0.5", [0.7, 0.1])).toBe(false);
    expect(evaluate("result < 0.01", [0.002])).toBe(true); // a one-sample vector is its value
    expect(evaluate("!(result > 0.1) && result != 0", 0.05)).toBe(true);
    expect(evaluate("result.errors / result.total < 0.01 || len(result.items) == 0", { errors: 3, total: 100, items: [] })).toBe(true);
    expect(evaluate("abs(result - 1) <= 0.2 && max(result, 2) == 2", 1.1)).toBe(true);
    expect(evaluate("-result + 2 * 3 % 4", 1)).toBe(1);
    expect(evaluate('result.status == "ok"', { status: "ok" })).toBe(true);
    expect(evaluate("isNaN(result)", Number.NaN)).toBe(true);
  });

  test("a bad expression is refused with the expression named and what is wrong", () => {
    expect(() => parseExpression("result <")).toThrow(new ExpressionError("result <: unexpected end of the expression"));
    expect(() => parseExpression("process.exit(1)")).toThrow('unknown name "process"');
    expect(() => parseExpression("constructor(1)")).toThrow("unknown function constructor()");
    expect(() => parseExpression("result ; 1")).toThrow("result ; 1: unexpected character at 8");
    expect(() => parseExpression("(result < 1")).toThrow('expected ")" at the end');
  });

  test("evaluation errors name the expression and the part that failed", () => {
    expect(() => evaluate("result[0] < 0.5", [])).toThrow("result[0] < 0.5: result[0] is out of range (the list has 0 elements)");
    expect(() => evaluate("result.rate < 1", { other: 1 })).toThrow("result.rate < 1: result.rate does not exist");
    expect(() => evaluate("result < 1", "fast")).toThrow('result < 1: "<" needs a number, got string "fast"');
    expect(() => evaluate("result.constructor == 1", {})).toThrow("result.constructor does not exist");
  });
});

const metric = (over: Record<string, unknown> = {}) =>
  AnalysisMetric.parse({ name: "error-rate", prometheus: { query: "q" }, successCondition: "result < 0.01", ...over });

describe("a measurement's verdict states the value against the condition", () => {
  test("successful, failed, inconclusive with both conditions, failure condition met", () => {
    expect(judgeReading(metric(), { kind: "value", value: [0.002] })).toMatchObject({ verdict: "successful", value: "0.002" });
    expect(judgeReading(metric(), { kind: "value", value: 0.0312345678 })).toEqual({
      verdict: "failed",
      value: "0.0312346",
      condition: "success: result < 0.01",
      message: "error-rate: 0.0312346 did not pass result < 0.01",
    });
    const both = metric({ failureCondition: "result > 0.1" });
    expect(judgeReading(both, { kind: "value", value: 0.05 }).verdict).toBe("inconclusive");
    expect(judgeReading(both, { kind: "value", value: 0.2 }).message).toBe("error-rate: 0.2 met the failure condition result > 0.1");
  });

  test("no data gives the configured verdict, and says so", () => {
    expect(judgeReading(metric(), { kind: "no-data", why: "the query matched no series" })).toMatchObject({
      verdict: "inconclusive",
      message: "error-rate: no data (the query matched no series); noDataIs: inconclusive",
    });
    expect(judgeReading(metric({ noDataIs: "failure" }), { kind: "no-data", why: "x" }).verdict).toBe("failed");
    expect(judgeReading(metric({ noDataIs: "success" }), { kind: "no-data", why: "x" }).verdict).toBe("successful");
  });

  test("a condition that cannot be evaluated on the value is an error, naming both", () => {
    expect(judgeReading(metric({ successCondition: "result[1] < 1" }), { kind: "value", value: [0.5] })).toMatchObject({
      verdict: "error",
      message: "error-rate: error: 0.5: result[1] < 1: result[1] is out of range (the list has 1 element)",
    });
  });
});

function taken(verdicts: Measurement["verdict"][]): Measurement[] {
  return verdicts.map((verdict, index) => ({ phase: "prePromotion", metric: "error-rate", index, value: "0", condition: "c", verdict, message: `m${index}` }));
}

describe("a metric's and an analysis's status", () => {
  test("inconclusive measurements within their limit do not count either: no pass without values", () => {
    const m = metric({ count: 2, inconclusiveLimit: 5 });
    expect(metricStatus(m, taken(["inconclusive", "inconclusive", "inconclusive"]))).toEqual({ kind: "running", next: 3 });
    expect(metricStatus(m, taken(["inconclusive", "successful", "inconclusive", "successful"])).kind).toBe("successful");
  });

  test("passes after count measurements; errors do not count; fails past failureLimit", () => {
    const m = metric({ count: 3, failureLimit: 1 });
    expect(metricStatus(m, taken(["successful", "error", "failed"]))).toEqual({ kind: "running", next: 3 });
    expect(metricStatus(m, taken(["successful", "error", "failed", "successful"])).kind).toBe("successful");
    expect(metricStatus(m, taken(["failed", "failed"]))).toEqual({ kind: "failed", message: "m1 (2 failed, failureLimit 1)" });
  });

  test("fails past consecutiveErrorLimit errors in a row; a success in between resets the run", () => {
    const m = metric({ count: 10, consecutiveErrorLimit: 2 });
    expect(metricStatus(m, taken(["error", "error", "successful", "error", "error"])).kind).toBe("running");
    expect(metricStatus(m, taken(["error", "error", "error"]))).toEqual({ kind: "failed", message: "error-rate: 3 errors in a row (consecutiveErrorLimit 2); last: m2" });
  });

  test("an analysis fails at once on one failed metric, is inconclusive only when every metric ended", () => {
    const a = metric();
    const b = metric({ name: "latency", count: 2 });
    const of = (name: string, verdicts: Measurement["verdict"][]) => taken(verdicts).map((x) => ({ ...x, metric: name }));
    expect(analysisStatus([a, b], of("error-rate", ["failed"]))).toMatchObject({ kind: "failed", metric: "error-rate" });
    expect(analysisStatus([a, b], of("error-rate", ["inconclusive"])).kind).toBe("running");
    expect(analysisStatus([a, b], [...of("error-rate", ["inconclusive"]), ...of("latency", ["successful", "successful"])])).toMatchObject({
      kind: "inconclusive",
      metrics: ["error-rate"],
    });
    expect(analysisStatus([a, b], [...of("error-rate", ["successful"]), ...of("latency", ["successful", "successful"])]).kind).toBe("passed");
  });
});

describe("the spec's analysis fields", () => {
  const reasons = (analysis: unknown) => {
    const r = IntakeBody.safeParse({ ...specInput(), analysis });
    return r.success ? [] : reasonsFromZod(r.error, { analysis }).map((x) => x.message);
  };

  test("defaults as documented", () => {
    expect(metric()).toMatchObject({ interval: 60, count: 1, initialDelaySeconds: 0, failureLimit: 0, inconclusiveLimit: 0, consecutiveErrorLimit: 4, noDataIs: "inconclusive" });
  });

  test("bad metrics are refused naming the field and the rule", () => {
    expect(reasons({ prePromotion: [{ name: "e", successCondition: "result < 1" }] })).toEqual(["analysis.prePromotion[0]: must set exactly one of prometheus, web"]);
    expect(reasons({ prePromotion: [{ name: "e", prometheus: { query: "q" } }] })).toEqual([
      "analysis.prePromotion[0]: must set successCondition or failureCondition (or both)",
    ]);
    expect(reasons({ postPromotion: [{ name: "e", prometheus: { query: "q" }, successCondition: "result <" }] })).toEqual([
      "analysis.postPromotion[0].successCondition: is not a valid condition: result <: unexpected end of the expression",
    ]);
    expect(reasons({ prePromotion: [{ name: "e", prometheus: { query: 'x{app="{{ap}}"}' }, successCondition: "result < 1" }] })[0]).toMatch(
      /^analysis\.prePromotion\[0\]\.prometheus\.query: unknown template \{\{ap\}\}/,
    );
    expect(reasons({ prePromotion: [{ name: "e", web: { url: "file:///etc/passwd" }, successCondition: "result < 1" }] })).toEqual([
      "analysis.prePromotion[0].web.url: must be an http or https URL",
    ]);
    expect(reasons({ prePromotion: [{ name: "e", web: { url: "http://m/x", headers: [{ name: "Authorization" }] }, successCondition: "result < 1" }] })).toEqual([
      "analysis.prePromotion[0].web.headers[0]: must set exactly one of value, valueFrom",
    ]);
  });

  test("templates are filled from the release", () => {
    const values = { app: "web", namespace: "shop", revision: "2", previousRevision: "1", releaseId: "r", podTemplateHash: "abc", interval: "30s" };
    expect(renderTemplate('rate(x{app="{{app}}",revision="{{ revision }}"}[{{interval}}]) / rate(x{revision="{{previousRevision}}"}[{{interval}}])', values)).toBe(
      'rate(x{app="web",revision="2"}[30s]) / rate(x{revision="1"}[30s])',
    );
  });
});

describe("what analysis may reach (issue 22's rules)", () => {
  const s = spec({
    analysis: {
      prePromotion: [
        { name: "a", prometheus: { address: "http://prometheus.monitoring:9090", query: "up" }, successCondition: "result > 0" },
        { name: "b", prometheus: { query: "up" }, successCondition: "result > 0" },
      ],
      postPromotion: [
        {
          name: "c",
          web: { url: "http://{{app}}-slo.{{namespace}}:8080/x?rev={{revision}}", headers: [{ name: "A", value: "literal" }, { name: "Authorization", valueFrom: { secretKeyRef: { name: "slo-token", key: "t" } } }] },
          successCondition: "result > 0",
        },
      ],
    },
  } as never);

  test("a web metric's URL and a metric's own Prometheus address answer to the host allow-list; the installation's default is not checked", () => {
    expect(webhookRefusals(s, []).map((r) => r.message)).toEqual([
      "analysis.prePromotion[0].prometheus.address: host prometheus.monitoring:9090 is not an allowed webhook host (BATON_WEBHOOK_ALLOWED_HOSTS; none is allowed)",
      "analysis.postPromotion[0].web.url: host web-slo.shop:8080 is not an allowed webhook host (BATON_WEBHOOK_ALLOWED_HOSTS; none is allowed)",
    ]);
    expect(webhookRefusals(s, ["prometheus.monitoring", "*.shop"])).toEqual([]);
  });

  test("a Prometheus metric with no address needs the installation's default", () => {
    expect(prometheusAddressRefusals(s, true)).toEqual([]);
    expect(prometheusAddressRefusals(s, false).map((r) => r.message)).toEqual([
      "analysis.prePromotion[1].prometheus.address: is required: the installation sets no BATON_PROMETHEUS_ADDRESS",
    ]);
  });

  test("header Secrets are Secret uses, named by their field", () => {
    expect(secretUses(s)).toEqual([{ path: "analysis.postPromotion[0].web.headers[1].valueFrom.secretKeyRef.name", ref: { name: "slo-token", key: "t" } }]);
  });
});

describe("leaving an analysis abandons the measurements still due", () => {
  test("the running metrics' next measurements, once the release is out of the analysis phase", async () => {
    const { releaseEvents } = await import("@baton/contracts/testing");
    const e = releaseEvents("rel-x");
    const analysis = {
      prePromotion: [
        { name: "a", prometheus: { query: "q" }, successCondition: "result < 1" },
        { name: "b", prometheus: { query: "q" }, successCondition: "result < 1", count: 5 },
      ],
    };
    const m = (metric: string, index: number, verdict: "successful" | "failed") => ({ phase: "prePromotion" as const, metric, index, value: "0", condition: "c", verdict, message: "m" });
    const events = [
      e("ReleaseRequested", { spec: spec({ analysis } as never) }),
      e("ReleasePlanned", { revision: 2, previousRevision: 1, fence: 1 }),
      e("PodsLive", { revision: 2, ready: 1, desired: 1 }),
      e("ValidationPassed", { revision: 2, checks: [], warmup: null }),
      e("MeasurementTaken", m("b", 0, "successful"), "prePromotion/b/0"),
      e("MeasurementTaken", m("a", 0, "failed"), "prePromotion/a/0"),
    ];
    const during = replay(events).state;
    expect(during && abandonedMeasurementSteps(during)).toEqual([]); // still analyzing
    const after = replay([...events, e("AnalysisFailed", { phase: "prePromotion", metric: "a", reason: "m", measurements: [] })]).state;
    expect(after && abandonedMeasurementSteps(after)).toEqual(["prePromotion/b/1"]);
  });
});
