import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import type { AnyEvent } from "@baton/contracts";
import type { Cluster } from "./lib/cluster.js";
import { ensureNamespace, instantSpec } from "./pipeline.js";
import { progress, round, summarize, type Summary } from "./lib/stats.js";

// Automatic switch-back by post-promotion analysis (issue 14): how long after a measurement sees
// a metric past its condition production is back on v1. The metric is a web metric whose endpoint
// (in this process) always answers an error rate of 0.5 against `result < 0.01`, so the first
// post-promotion measurement fails; the figure starts at that MeasurementTaken (the measurement's
// interval and Prometheus' scrape delay are excluded by construction) and ends at
// TrafficSwitchedBack (production confirmed on v1 by its EndpointSlices) and ReleaseRolledBack (v2
// torn down). Between MeasurementTaken and TrafficSwitchedBack lie 2 hops (→ AnalysisFailed →
// TrafficSwitchedBack) plus the traffic-switcher's Kubernetes calls.

export interface SwitchBackResult {
  readonly releases: number;
  /** Hops between the failing measurement and TrafficSwitchedBack. */
  readonly hops: number;
  readonly toSwitchedBack: Summary;
  readonly toRolledBack: Summary;
}

/** A JSON endpoint that says the error rate is 0.5, for the bench's web metric. */
export async function startBadMetric(): Promise<{ url: string; host: string; close(): Promise<void> }> {
  const server: Server = createServer((_req, res) => {
    res.writeHead(200, { "Content-Type": "application/json" });
    res.end('{"errorRate":0.5}');
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}/error-rate`,
    host: `127.0.0.1:${port}`,
    close: () => new Promise((resolve) => server.close(() => resolve())),
  };
}

const at = (events: readonly AnyEvent[], name: string): number => {
  const e = events.find((x) => x.name === name);
  if (!e) throw new Error(`no ${name} in ${events.map((x) => x.name).join(", ")}`);
  return Date.parse(e.time);
};

/** N replacing releases of one app whose post-promotion analysis fails at its first measurement. */
export async function measureSwitchBack(c: Cluster, n: number, metricUrl: string): Promise<SwitchBackResult> {
  const ns = "switchback";
  await ensureNamespace(c, ns);
  const toBack: number[] = [];
  const toRolledBack: number[] = [];
  const first = await c.release(instantSpec("sb", "1.0.0", ns));
  if (!first.ok) throw new Error(`v1 rejected: ${JSON.stringify(first)}`);
  if ((await c.ended(first.releaseId)).phase !== "completed") throw new Error("v1 did not complete");
  for (let i = 0; i < n; i++) {
    const spec = {
      ...instantSpec("sb", `2.0.${i}`, ns),
      analysis: {
        postPromotion: [{ name: "error-rate", web: { url: metricUrl, jsonPath: "$.errorRate" }, successCondition: "result < 0.01", interval: 1, count: 1 }],
      },
    };
    const reply = await c.release(spec);
    if (!reply.ok) throw new Error(`release ${i} rejected: ${JSON.stringify(reply)}`);
    const end = await c.ended(reply.releaseId);
    if (end.phase !== "rolled_back") throw new Error(`release ${i} ended ${end.phase}, not rolled_back: ${end.outcome?.reason}`);
    const events = await c.rt.bus.releaseEvents(reply.releaseId);
    const failed = events.find((e) => e.name === "MeasurementTaken" && (e.data as { verdict?: string }).verdict === "failed");
    if (!failed) throw new Error(`release ${i}: no failed measurement`);
    const crossed = Date.parse(failed.time);
    toBack.push(at(events, "TrafficSwitchedBack") - crossed);
    toRolledBack.push(at(events, "ReleaseRolledBack") - crossed);
    if ((i + 1) % 5 === 0) progress(`switch-back: ${i + 1}/${n}, p50 so far ${round(summarize(toBack).p50)} ms`);
  }
  return { releases: n, hops: 2, toSwitchedBack: summarize(toBack), toRolledBack: summarize(toRolledBack) };
}
