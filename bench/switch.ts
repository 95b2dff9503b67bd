import { get } from "node:http";
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
  /**
   * From ValidationPassed (its stored time) to the first v2 answer on a NEW connection (a probe
   * opens one every 5 ms): how fast the switch reaches clients that connect after it.
   */
  readonly propagationMs: number;
  /** The same for the steady load's keep-alive connections, which stay on v1 until v1 lets them go. */
  readonly keepAlivePropagationMs: number;
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
  const probe = newConnectionProbe(url, "2.0.0");
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
  const firstV2New = await probe.stop();
  if (end.phase !== "completed") throw new Error(`v2 ended ${end.phase}: ${end.outcome?.reason}`);
  const events = await c.rt.bus.releaseEvents(second.releaseId);
  const passed = Date.parse((events.find((e) => e.name === "ValidationPassed") as AnyEvent).time);
  const window = (from: number, to: number) => summarize(samples.filter((s) => s.at >= from && s.at < to).map((s) => s.ms));
  return {
    ratePerSecond,
    requests: result.requests.total,
    failedRequests: result.errors + result.non2xx, // errors include timeouts
    latency: { before: window(0, releaseStart), during: window(releaseStart, releaseEnd), after: window(releaseEnd, Number.MAX_SAFE_INTEGER) },
    propagationMs: firstV2New === 0 ? Number.NaN : round(firstV2New - passed),
    keepAlivePropagationMs: firstV2At === 0 ? Number.NaN : round(firstV2At - passed),
    releaseMs: releaseEnd - releaseStart,
  };
}

/** GET /version on a fresh connection every 5 ms; remembers when `version` first answered. */
function newConnectionProbe(url: string, version: string): { stop(): Promise<number> } {
  let firstAt = 0;
  let running = true;
  const once = () =>
    new Promise<void>((resolve) => {
      const req = get(new URL("/version", url), { agent: false, timeout: 2000 }, (res) => {
        let body = "";
        res.on("data", (c: Buffer) => (body += c.toString()));
        res.on("end", () => {
          if (firstAt === 0 && body.includes(version)) firstAt = Date.now();
          resolve();
        });
        res.on("error", () => resolve());
      });
      req.on("error", () => resolve());
      req.on("timeout", () => req.destroy());
    });
  const loop = (async () => {
    while (running) {
      await once();
      await new Promise((r) => setTimeout(r, 5));
    }
  })();
  return {
    async stop() {
      running = false;
      await loop;
      return firstAt;
    },
  };
}
