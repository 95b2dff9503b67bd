import { afterEach, describe, expect, it } from "vitest";
import { freePort } from "@baton/runtime/testing";
import { DemoApp } from "../src/kubelet/demo-app.js";
import { demoConfig } from "../src/kubelet/demo-config.js";

// Issue 14: the demo app's /metrics (Prometheus text format) and the knobs that make a release go
// bad only after it took traffic. A real HTTP server on loopback, read by a real HTTP client.

const apps: DemoApp[] = [];
afterEach(() => {
  for (const a of apps.splice(0)) a.kill();
});

async function start(env: Record<string, string>): Promise<string> {
  const parsed = demoConfig("2.0.0", Object.entries(env).map(([name, value]) => ({ name, value })));
  if (!parsed.ok) throw new Error(parsed.message);
  const app = new DemoApp({ config: parsed.config, pod: "web-2-abc", onExit: () => undefined, log: () => undefined });
  apps.push(app);
  const port = await freePort();
  await app.listen("127.0.0.1", port);
  return `http://127.0.0.1:${port}`;
}

async function statuses(base: string, n: number): Promise<number[]> {
  const out: number[] = [];
  for (let i = 0; i < n; i++) out.push((await fetch(`${base}/catalog`)).status);
  return out;
}

/** The value of one series of the text format, e.g. `demo_http_requests_total{version="2.0.0",code="500"}`. */
function sample(text: string, series: string): number | undefined {
  const line = text.split("\n").find((l) => l.startsWith(`${series} `));
  return line === undefined ? undefined : Number(line.slice(series.length + 1));
}

describe("the demo app's /metrics", () => {
  it("counts requests by status code and version, and their latency, honouring DEMO_ERROR_RATE and DEMO_LATENCY_MS; probes and scrapes are not counted", async () => {
    const base = await start({ DEMO_ERROR_RATE: "0.25", DEMO_LATENCY_MS: "30" });
    expect((await statuses(base, 8)).filter((s) => s === 500)).toHaveLength(2);
    await fetch(`${base}/healthz`);
    const res = await fetch(`${base}/metrics`);
    expect(res.headers.get("content-type")).toMatch(/^text\/plain; version=0\.0\.4/);
    const text = await res.text();
    expect(sample(text, 'demo_http_requests_total{version="2.0.0",code="200"}')).toBe(6);
    expect(sample(text, 'demo_http_requests_total{version="2.0.0",code="500"}')).toBe(2);
    expect(sample(text, 'demo_http_request_duration_seconds_count{version="2.0.0"}')).toBe(8);
    // every request waited DEMO_LATENCY_MS: none in the buckets below 25 ms, all by 50 ms or so
    expect(sample(text, 'demo_http_request_duration_seconds_bucket{version="2.0.0",le="0.025"}')).toBe(0);
    expect(sample(text, 'demo_http_request_duration_seconds_bucket{version="2.0.0",le="+Inf"}')).toBe(8);
    expect(sample(text, 'demo_http_request_duration_seconds_sum{version="2.0.0"}')).toBeGreaterThanOrEqual(0.24);
    expect(text).toContain("# TYPE demo_http_request_duration_seconds histogram");
  });

  it("DEMO_DEGRADE_AFTER_REQUESTS: healthy for that many requests, then answers at DEMO_DEGRADED_ERROR_RATE", async () => {
    const base = await start({ DEMO_DEGRADE_AFTER_REQUESTS: "5", DEMO_DEGRADED_ERROR_RATE: "0.5" });
    expect(await statuses(base, 9)).toEqual([200, 200, 200, 200, 200, 500, 200, 500, 200]);
    const body = (await (await fetch(`${base}/x`)).json()) as { error?: string; version?: string };
    expect(body).toMatchObject({ version: "2.0.0" });
    expect((await fetch(`${base}/healthz`)).status).toBe(200); // still Ready: only its answers went bad
  });

  it("DEMO_DEGRADE_AFTER_MS: degrades that long after start (every request fails by default)", async () => {
    const base = await start({ DEMO_DEGRADE_AFTER_MS: "300" });
    expect(await statuses(base, 3)).toEqual([200, 200, 200]);
    await new Promise((r) => setTimeout(r, 350));
    expect(await statuses(base, 3)).toEqual([500, 500, 500]);
  });

  it("rejects a bad knob with the variable named", () => {
    const r = demoConfig("1", [{ name: "DEMO_DEGRADED_ERROR_RATE", value: "2" }]);
    expect(r).toEqual({ ok: false, message: 'DEMO_DEGRADED_ERROR_RATE must be a number from 0 to 1, got "2"' });
  });
});
