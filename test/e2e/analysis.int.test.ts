import { createServer, type IncomingHttpHeaders, type Server } from "node:http";
import { afterEach, describe, expect, test } from "vitest";
import type { AnyEvent } from "@baton/contracts";
import { freePort, startPodPrometheus, type PodPrometheus } from "@baton/runtime/testing";
import { names, startBaton, type Baton } from "../harness.js";

// Issue 14, end to end: analysis before and after the switch, judged on the demo app's own metrics
// as a real Prometheus scraped them (runtime/testing pod-prometheus.ts), with the five stages, NATS, Redis and the
// test cluster; the automatic switch-back while v1 still runs.

let baton: Baton | undefined;
let prom: PodPrometheus | undefined;
const servers: Server[] = [];
afterEach(async () => {
  await baton?.stop();
  baton = undefined;
  await prom?.stop();
  prom = undefined;
  for (const s of servers.splice(0)) await new Promise((r) => s.close(r));
});

async function given(overrides: Record<string, string | number> = {}): Promise<Baton> {
  prom = await startPodPrometheus();
  baton = await startBaton({ overrides: { BATON_PROMETHEUS_ADDRESS: prom.url, ...overrides } });
  prom.watch(baton.core, baton.ns);
  // v1, released without analysis, drains gracefully
  const first = await baton.releaseOk({
    image: "baton.dev/demo-app:1.0.0",
    replicas: 2,
    template: { spec: { containers: [{ name: "app", env: [{ name: "DEMO_DRAIN_MS", value: "2000" }] }] } },
    validation: { tests: [{ name: "health", request: { path: "/healthz" } }] },
  });
  expect((await baton.waitForEnd(first)).phase).toBe("completed");
  return baton;
}

/** v2's error rate: 5xx answers over all answers of the release's revision, from its pods' own counters. */
const ERROR_RATE_SINCE_START =
  '(sum(demo_http_requests_total{namespace="{{namespace}}",app="{{app}}",revision="{{revision}}",code=~"5.."}) or vector(0))' +
  ' / sum(demo_http_requests_total{namespace="{{namespace}}",app="{{app}}",revision="{{revision}}"})';
const ERROR_RATE_NOW =
  '(sum(rate(demo_http_requests_total{namespace="{{namespace}}",app="{{app}}",revision="{{revision}}",code=~"5.."}[3s])) or vector(0))' +
  ' / sum(rate(demo_http_requests_total{namespace="{{namespace}}",app="{{app}}",revision="{{revision}}"}[3s]))';

function v2(env: Record<string, string>, extra: Record<string, unknown>) {
  return {
    image: "baton.dev/demo-app:2.0.0",
    replicas: 2,
    template: { spec: { containers: [{ name: "app", env: Object.entries(env).map(([name, value]) => ({ name, value })) }] } },
    // the HTTP tests hit a path that works whatever the error rate; warm-up sends traffic to measure
    validation: { tests: [{ name: "health", request: { path: "/healthz" } }], warmup: { requests: 60, concurrency: 4, paths: ["/"], maxErrorRate: 1 } },
    shutdown: { delaySeconds: 1, gracePeriodSeconds: 2 },
    ...extra,
  };
}

/** One series of Baton's own /metrics, summed over every process the test runs. */
async function batonMetric(b: Baton, series: string): Promise<number> {
  let sum = 0;
  for (const r of b.replicas) {
    const text = await (await fetch(`http://127.0.0.1:${r.httpPort}/metrics`)).text();
    const line = text.split("\n").find((l) => l.startsWith(`${series} `));
    sum += line === undefined ? 0 : Number(line.slice(series.length + 1));
  }
  return sum;
}

function taken(events: readonly AnyEvent[]) {
  return events.filter((e): e is AnyEvent & { name: "MeasurementTaken" } => e.name === "MeasurementTaken").map((e) => e.data as { verdict: string; message: string; value: string | null; metric: string; phase: string });
}

describe("pre-promotion analysis", () => {
  test("v2 passes its HTTP tests but its error rate fails the query: rolled back, production never left v1, the event names the value", async () => {
    const b = await given();
    const traffic = await b.productionTraffic("web", b.ns, { clients: 4, ratePerSecond: 200 });
    const id = await b.releaseOk(
      v2({ DEMO_ERROR_RATE: "0.2" }, {
        // Until Prometheus has discovered and scraped v2's pods (its discovery applies changes at most
        // every 5 s) the query has no data: inconclusive, tolerated by inconclusiveLimit, measured again.
        // Three measurements must pass: one of a scrape taken in the middle of the warm-up (before a
        // pod's first failure) is not the last word.
        analysis: {
          prePromotion: [{ name: "error-rate", prometheus: { query: ERROR_RATE_SINCE_START }, successCondition: "result < 0.05", initialDelaySeconds: 2, interval: 1, count: 3, inconclusiveLimit: 30 }],
        },
      }),
    );
    const end = await b.waitForEnd(id);
    const seen = await traffic.stop();

    expect(end.phase, JSON.stringify(end.analysis?.prePromotion?.measurements)).toBe("rolled_back");
    const events = await b.events(id);
    expect(names(events).join(" ")).toMatch(
      /^ReleaseRequested ReleasePlanned PodsLive ValidationPassed AnalysisStarted (MeasurementDue MeasurementTaken )+AnalysisFailed ReleaseRolledBack$/,
    );
    const m = taken(events).at(-1);
    expect(taken(events).slice(0, -1).every((x) => x.verdict === "inconclusive" || x.verdict === "successful")).toBe(true);
    expect(m?.verdict).toBe("failed");
    expect(Number(m?.value)).toBeGreaterThanOrEqual(0.15);
    expect(m?.message).toBe(`error-rate: ${m?.value} did not pass result < 0.05`);
    expect(end.outcome?.reason).toBe(m?.message);
    const failed = events.find((e) => e.name === "AnalysisFailed");
    expect(failed?.data).toMatchObject({ phase: "prePromotion", metric: "error-rate" });
    expect((failed?.data as { measurements: unknown[] }).measurements.at(-1)).toMatchObject({ verdict: "failed", value: m?.value });
    // production never left v1
    expect(seen.failed, JSON.stringify(seen.failures)).toBe(0);
    expect(Object.keys(seen.versions)).toEqual(["1.0.0"]);
    const prod = await b.core.readNamespacedService({ name: "web", namespace: b.ns });
    expect(prod.spec?.selector?.["baton.dev/revision"]).toBe("1");
    expect((await b.apps.listNamespacedDeployment({ namespace: b.ns })).items.map((d) => d.metadata?.name)).toEqual(["web-1"]);
  });

  test("no data gives the configured verdict, never a hang: inconclusive waits for `baton promote`; noDataIs failure rolls back", async () => {
    const b = await given();
    const nothing = 'sum(demo_http_requests_total{app="no-such-app"})';
    const id = await b.releaseOk(
      v2({}, { analysis: { prePromotion: [{ name: "orders", prometheus: { query: nothing }, successCondition: "result > 0", initialDelaySeconds: 1 }] } }),
    );
    const waiting = await b.waitForPhase(id, "inconclusive");
    expect(waiting.analysis?.prePromotion?.measurements[0]?.message).toBe("orders: no data (the query matched no series); noDataIs: inconclusive");
    expect(waiting.deadlinesExceeded).toEqual([]);
    // When a person promotes it, Then it is switched and completes
    expect(await b.control(id, "PromotionApproved")).toMatchObject({ accepted: true });
    const end = await b.waitForEnd(id);
    expect(end.phase).toBe("completed");
    expect(names(await b.events(id))).toEqual([
      "ReleaseRequested", "ReleasePlanned", "PodsLive", "ValidationPassed",
      "AnalysisStarted", "MeasurementDue", "MeasurementTaken", "AnalysisInconclusive", "PromotionApproved",
      "TrafficSwitched", "DrainDue", "DrainStarted", "ShutdownDue", "ReleaseCompleted",
    ]);

    const strict = await b.releaseOk({
      ...v2({}, { analysis: { prePromotion: [{ name: "orders", prometheus: { query: nothing }, successCondition: "result > 0", noDataIs: "failure" }] } }),
      image: "baton.dev/demo-app:3.0.0",
    });
    const rolled = await b.waitForEnd(strict);
    expect(rolled).toMatchObject({ phase: "rolled_back", outcome: { reason: "orders: no data (the query matched no series); noDataIs: failure" } });
  });

  test("a Prometheus that is down gives errors, then fails on consecutiveErrorLimit, naming the last error", async () => {
    const dead = await freePort(); // nothing listens there
    const b = await given({ BATON_WEBHOOK_ALLOWED_HOSTS: "127.0.0.1" });
    const id = await b.releaseOk(
      v2({}, {
        analysis: {
          prePromotion: [
            // errors at 1 s, 2 s and 3 s: failed
            { name: "error-rate", prometheus: { address: `http://127.0.0.1:${dead}`, query: "up" }, successCondition: "result > 0", initialDelaySeconds: 1, interval: 1, count: 3, consecutiveErrorLimit: 2 },
            // a healthy metric still measuring when the other fails (at 0 s, 2 s; next due at 4 s): its next measurement is cancelled
            { name: "steady", prometheus: { query: "vector(1)" }, successCondition: "result == 1", interval: 2, count: 20 },
          ],
        },
      }),
    );
    const end = await b.waitForEnd(id);
    await new Promise((r) => setTimeout(r, 2000)); // past steady's interval: a stale timer would have fired by now
    const events = await b.events(id);
    expect(taken(events).filter((m) => m.metric === "error-rate").map((m) => m.verdict)).toEqual(["error", "error", "error"]);
    const steady = (name: string) => events.filter((e) => e.name === name && (e.data as { metric?: string }).metric === "steady");
    expect(steady("MeasurementTaken").length).toBeGreaterThan(0);
    // the healthy metric's measurements stop with the analysis: none falls due after its verdict
    const failedAt = Date.parse(events.find((e) => e.name === "AnalysisFailed")?.time ?? "");
    expect(steady("MeasurementDue").filter((e) => Date.parse(e.time) > failedAt)).toEqual([]);
    expect(names(events).at(-1)).toBe("ReleaseRolledBack");
    expect(taken(events).find((m) => m.metric === "error-rate")?.message).toMatch(new RegExp(`^error-rate: error: Prometheus at http://127.0.0.1:${dead}: ECONNREFUSED`));
    expect(end.phase).toBe("rolled_back");
    expect(end.outcome?.reason).toMatch(/^error-rate: 3 errors in a row \(consecutiveErrorLimit 2\); last: error-rate: error: Prometheus at .*ECONNREFUSED/);
  });
});

describe("post-promotion analysis", () => {
  test("v2 turns bad under production traffic: switched back to v1 automatically, no failed request beyond v2's own, v1 never told to shut down", async () => {
    const b = await given();
    const v1Pods = (await b.core.listNamespacedPod({ namespace: b.ns, labelSelector: "baton.dev/revision=1" })).items.map((p) => p.metadata?.name).sort();
    // Production clients that open a connection per request: a kept-alive one would stay on v1
    // (kube-proxy's connection tracking) while v1 runs, and v2 would see no production traffic.
    const traffic = await b.productionTraffic("web", b.ns, { clients: 4, ratePerSecond: 200, keepAlive: false });
    const id = await b.releaseOk(
      v2({ DEMO_DEGRADE_AFTER_REQUESTS: "150", DEMO_DEGRADED_ERROR_RATE: "0.5" }, {
        analysis: {
          postPromotion: [{ name: "error-rate", prometheus: { query: ERROR_RATE_NOW }, successCondition: "result < 0.1", initialDelaySeconds: 2, interval: 1, count: 60, inconclusiveLimit: 30 }],
        },
      }),
    );
    const end = await b.waitForEnd(id);
    await new Promise((r) => setTimeout(r, 300));
    const seen = await traffic.stop();

    // Then the release ends rolled back, the reason stating the value against the condition
    expect(end.phase).toBe("rolled_back");
    expect(end.outcome?.reason).toMatch(/^error-rate: 0\.\d+ did not pass result < 0\.1$/);
    const events = await b.events(id);
    const seq = names(events).join(" ");
    expect(seq).toMatch(
      /^ReleaseRequested ReleasePlanned PodsLive ValidationPassed TrafficSwitched AnalysisStarted (MeasurementDue MeasurementTaken )+AnalysisFailed TrafficSwitchedBack ReleaseRolledBack$/,
    );
    expect(taken(events).at(-1)?.verdict).toBe("failed");
    // production is back on v1, and the client saw no failure but those v2 itself answered
    const prod = await b.core.readNamespacedService({ name: "web", namespace: b.ns });
    expect(prod.spec?.selector?.["baton.dev/revision"]).toBe("1");
    expect(seen.failedBy["2.0.0"]).toBeGreaterThan(0);
    expect(seen.failed, JSON.stringify(seen.failures)).toBe(seen.failedBy["2.0.0"]);
    const now = await b.productionTraffic("web", b.ns, { clients: 2, keepAlive: false });
    await new Promise((r) => setTimeout(r, 300));
    const afterwards = await now.stop();
    expect(afterwards.failed).toBe(0);
    expect(Object.keys(afterwards.versions)).toEqual(["1.0.0"]);
    // v1 was never told to shut down: the same pods, none deleted, no scale of web-1 by Baton
    const after = (await b.core.listNamespacedPod({ namespace: b.ns, labelSelector: "baton.dev/revision=1" })).items;
    expect(after.map((p) => p.metadata?.name).sort()).toEqual(v1Pods);
    expect(after.every((p) => p.metadata?.deletionTimestamp === undefined)).toBe(true);
    const since = Date.parse(events[0]?.time ?? "");
    const writes = (await b.clientWrites()).filter((w) => Date.parse(w.time) >= since);
    expect(writes.filter((w) => w.name === "web-1" || (w.resource === "pods" && w.verb === "delete"))).toEqual([]);
    expect((await b.apps.listNamespacedDeployment({ namespace: b.ns })).items.map((d) => d.metadata?.name)).toEqual(["web-1"]);
    // and Baton's own metrics count the measurements by verdict, the analysis and the switch-back
    // (summed over the processes: on a real cluster each stage runs in its own)
    expect(await batonMetric(b, 'baton_analysis_measurements_total{metric="error-rate",verdict="failed"}')).toBe(1);
    expect(await batonMetric(b, 'baton_analysis_duration_seconds_count{phase="postPromotion",verdict="failed"}')).toBe(1);
    expect(await batonMetric(b, 'baton_switch_backs_total{cause="analysis"}')).toBe(1);
  });
});

describe("web provider", () => {
  test("any JSON endpoint, with a header from a Secret bound to the app: both analyses pass, v1 drains only after the post-promotion one, the key never shows", async () => {
    const KEY = "k3y-0f-th3-metrics-api-8812";
    const seen: IncomingHttpHeaders[] = [];
    const server = createServer((req, res) => {
      seen.push(req.headers);
      res.writeHead(200, { "content-type": "application/json" });
      res.end(JSON.stringify({ data: { availability: [0.9995], app: new URL(req.url ?? "/", "http://x").searchParams.get("app") } }));
    });
    servers.push(server);
    const port = await freePort();
    await new Promise<void>((r) => server.listen(port, "127.0.0.1", r));
    const b = await given({ BATON_WEBHOOK_ALLOWED_HOSTS: "127.0.0.1" });
    for (const stage of ["planner", "validator"] as const) await b.cluster.grantSecrets(stage, ["web-metrics-key"]);
    await b.core.createNamespacedSecret({ namespace: b.ns, body: { metadata: { name: "web-metrics-key", labels: { "baton.dev/app": "web" } }, stringData: { key: KEY } } });
    const metric = {
      name: "availability",
      web: {
        url: `http://127.0.0.1:${port}/slo?app={{app}}&revision={{revision}}`,
        headers: [{ name: "X-Api-Key", valueFrom: { secretKeyRef: { name: "web-metrics-key", key: "key" } } }],
        jsonPath: "$.data.availability[0]",
      },
      successCondition: "result >= 0.999",
    };
    const id = await b.releaseOk(v2({}, { analysis: { prePromotion: [metric], postPromotion: [metric] } }));
    const end = await b.waitForEnd(id);

    expect(end.phase).toBe("completed");
    const events = await b.events(id);
    expect(names(events)).toEqual([
      "ReleaseRequested", "ReleasePlanned", "PodsLive", "ValidationPassed",
      "AnalysisStarted", "MeasurementDue", "MeasurementTaken", "AnalysisPassed", "TrafficSwitched",
      "AnalysisStarted", "MeasurementDue", "MeasurementTaken", "AnalysisPassed",
      "DrainDue", "DrainStarted", "ShutdownDue", "ReleaseCompleted",
    ]);
    expect(taken(events).map((m) => m.message)).toEqual(["availability: 0.9995 passed result >= 0.999", "availability: 0.9995 passed result >= 0.999"]);
    // the shutdown delay counted from the post-promotion analysis's end, not from the switch
    const at = (name: string, nth = 0) => Date.parse(events.filter((e) => e.name === name)[nth]?.time ?? "");
    expect(at("DrainDue")).toBeGreaterThanOrEqual(at("AnalysisPassed", 1) + 1000);
    // the endpoint got the Secret's value; the stream and the logs never did
    expect(seen.map((h) => h["x-api-key"])).toEqual([KEY, KEY]);
    const raw = await b.rt.bus.readAll(b.rt.bus.subjects.eventsStream, b.rt.bus.subjects.allEvents);
    expect(raw.map((m) => m.data).join("\n")).not.toContain(KEY);
    expect(b.logs.text()).not.toContain(KEY);
  });
});
