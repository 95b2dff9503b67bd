import autocannon from "autocannon";
import type { AnyEvent } from "@baton/contracts";
import type { Cluster } from "./lib/cluster.js";
import { ensureNamespace } from "./pipeline.js";
import { progress, round, summarize, type Summary } from "./lib/stats.js";

// Production traffic across the switch: a steady load (autocannon, fixed overall rate) on the
// production Service of an app while its v2 is released, with test and warm-up traffic, a 1 s
// shutdown delay and a 1 s grace period. What production sees before, during and after.

export interface SwitchResult {
  readonly ratePerSecond: number;
  readonly requests: number;
  readonly failedRequests: number;
  readonly latency: { readonly before: Summary; readonly during: Summary; readonly after: Summary };
  /** From ValidationPassed (stored time) to the first response body carrying v2's version. */
  readonly propagationMs: number;
  readonly releaseMs: number;
}

function spec(version: string): Record<string, unknown> {
  return {
    app: "web",
    namespace: "switch",
    image: `baton.dev/demo-app:${version}`,
    replicas: 3,
    validation: {
      tests: [{ name: "version", request: { path: "/version" }, expect: { status: 200, bodyContains: version } }],
      warmup: { requests: 300, concurrency: 10, paths: ["/"], maxErrorRate: 0 },
    },
    shutdown: { delaySeconds: 1, gracePeriodSeconds: 1 },
  };
}

export async function measureSwitch(c: Cluster, ratePerSecond: number, settleMs: number): Promise<SwitchResult> {
  await ensureNamespace(c, "switch");
  const first = await c.release(spec("1.0.0"));
  if (!first.ok || (await c.ended(first.releaseId)).phase !== "completed") throw new Error("v1 of the switch app did not complete");
  const url = await c.productionUrl("web", "switch");
  const samples: { at: number; ms: number; status: number }[] = [];
  let firstV2At = 0;
  const load = autocannon({
    url,
    connections: 20,
    overallRate: ratePerSecond,
    duration: 3600,
    timeout: 5,
    requests: [
      {
        method: "GET",
        path: "/version",
        onResponse: (_status, body) => {
          if (firstV2At === 0 && body.includes("2.0.0")) firstV2At = Date.now();
        },
      },
    ],
    setupClient: (client) => client.on("response", (status: number, _bytes: number, ms: number) => samples.push({ at: Date.now(), ms, status })),
  });
  await new Promise((r) => setTimeout(r, settleMs));
  progress(`switch: ${samples.length} requests on v1 so far; releasing v2`);
  const releaseStart = Date.now();
  const second = await c.release(spec("2.0.0"));
  if (!second.ok) throw new Error(`v2 rejected: ${JSON.stringify(second)}`);
  const end = await c.ended(second.releaseId);
  const releaseEnd = Date.now();
  await new Promise((r) => setTimeout(r, settleMs));
  load.stop();
  const result = await load;
  if (end.phase !== "completed") throw new Error(`v2 ended ${end.phase}: ${end.outcome?.reason}`);
  const events = await c.rt.bus.releaseEvents(second.releaseId);
  const passed = Date.parse((events.find((e) => e.name === "ValidationPassed") as AnyEvent).time);
  const window = (from: number, to: number) => summarize(samples.filter((s) => s.at >= from && s.at < to).map((s) => s.ms));
  return {
    ratePerSecond,
    requests: result.requests.total,
    failedRequests: result.errors + result.non2xx, // errors include timeouts
    latency: { before: window(0, releaseStart), during: window(releaseStart, releaseEnd), after: window(releaseEnd, Number.MAX_SAFE_INTEGER) },
    propagationMs: firstV2At === 0 ? Number.NaN : round(firstV2At - passed),
    releaseMs: releaseEnd - releaseStart,
  };
}
