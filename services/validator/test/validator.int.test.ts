import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { connect } from "@nats-io/transport-node";
import { record } from "@baton/runtime";
import { releaseEvents } from "@baton/contracts/testing";
import { waitFor } from "@baton/runtime/testing";
import { validatorService } from "../src/index.js";
import { NS, podsLive, startHarness, v2Behind, waitForEvent, type Harness } from "./harness.js";

// Given v2 behind its preview Service in kube-sim and the validator stage on real NATS and Redis,
// when PodsLive arrives, then the spec's test requests are judged and warm-up traffic is counted,
// and the verdict carries every check with what was expected and what came back.

let h: Harness;

beforeAll(async () => {
  h = await startHarness([validatorService]);
});
afterAll(async () => {
  await h?.close();
});

describe("validator", () => {
  it("passing tests and warm-up → ValidationPassed with every check", async () => {
    await v2Behind(h, "good", []);
    const nc = await connect({ servers: h.rt.config.BATON_NATS_URL });
    const progress: Record<string, { done: number; total: number }>[] = [];
    const sub = nc.subscribe(h.rt.bus.subjects.progress("rel-good"), { callback: (_e, m) => void progress.push(m.json()) });
    await podsLive(h.rt, "rel-good", "good", {
      validation: {
        tests: [
          { name: "health", request: { path: "/healthz" }, expect: { status: 200 } },
          { name: "version", request: { path: "/version" }, expect: { status: 200, bodyContains: "2.0.0", maxLatencyMs: 2000 } },
        ],
        warmup: { requests: 300, concurrency: 8, paths: ["/", "/catalog"], maxErrorRate: 0.01 },
      },
    });
    const passed = await waitForEvent(h.rt, "rel-good", "ValidationPassed");
    expect(passed.data.checks.map((c) => [c.name, c.passed])).toEqual([
      ["health", true],
      ["version", true],
    ]);
    const version = passed.data.checks[1]!;
    expect(version.expected).toBe('status 200, body contains "2.0.0", within 2000 ms');
    expect(version.got).toMatch(/^status 200, body ".*2\.0\.0.*" \(\d+ ms\)$/);
    expect(passed.data.warmup).toMatchObject({ requests: 300, errors: 0, errorRate: 0, maxErrorRate: 0.01, passed: true });
    expect(passed.data.warmup!.p99Ms).toBeGreaterThanOrEqual(passed.data.warmup!.p50Ms);
    expect((await h.rt.store.get("rel-good"))?.state.phase).toBe("promoting");
    // Progress was reported, and not once per request (at most ~10 a second).
    await sub.drain();
    await nc.close();
    const warm = progress.filter((p) => "warmup" in p).map((p) => p.warmup!);
    expect(warm.at(-1)).toMatchObject({ done: 300, total: 300 });
    expect(warm.length).toBeLessThan(100);
  });

  it("wrong body, too slow, too many errors → ValidationFailed naming each failure's expected and got", async () => {
    await v2Behind(h, "bad", [
      { name: "DEMO_LATENCY_MS", value: "150" },
      { name: "DEMO_ERROR_RATE", value: "0.3" },
    ]);
    await podsLive(h.rt, "rel-bad", "bad", {
      validation: {
        tests: [
          { name: "version", request: { path: "/version" }, expect: { status: 200, bodyContains: "9.9.9" } },
          { name: "fast", request: { path: "/version" }, expect: { status: 200, maxLatencyMs: 50 } },
        ],
        warmup: { requests: 100, concurrency: 10, paths: ["/"], maxErrorRate: 0.05 },
      },
    });
    const failed = await waitForEvent(h.rt, "rel-bad", "ValidationFailed");
    const byName = Object.fromEntries(failed.data.failures.map((f) => [f.name, f]));
    expect(Object.keys(byName)).toEqual(["version", "fast", "warmup"]);
    expect(byName.version!.expected).toBe('status 200, body contains "9.9.9"');
    expect(byName.version!.got).toMatch(/^status (200|500), body ".*" \(\d+ ms\)$/);
    expect(byName.version!.got).not.toContain("9.9.9");
    expect(byName.fast!.expected).toBe("status 200, within 50 ms");
    expect(byName.fast!.got).toMatch(/^no answer within 50 ms \(\d+ ms\)$/);
    expect(byName.warmup!.expected).toBe("error rate <= 5% over 100 requests");
    expect(byName.warmup!.got).toMatch(/^\d+ errors? in 100 requests \(\d+(\.\d+)?%\), p50 \d+(\.\d+)? ms, p99 \d+(\.\d+)? ms$/);
    expect(failed.data.warmup!.errorRate).toBeGreaterThan(0.05);
    expect(failed.data.warmup!.p50Ms).toBeGreaterThanOrEqual(150);
    expect(failed.data.checks.every((c) => !c.passed)).toBe(true);
    expect((await h.rt.store.get("rel-bad"))?.state.phase).toBe("rolling_back");
  });

  it("stops sending traffic when the release is aborted mid-warm-up, and emits no verdict", async () => {
    await v2Behind(h, "slow", [{ name: "DEMO_LATENCY_MS", value: "50" }]);
    const nc = await connect({ servers: h.rt.config.BATON_NATS_URL });
    let done = 0;
    const sub = nc.subscribe(h.rt.bus.subjects.progress("rel-slow"), {
      callback: (_e, m) => {
        done = (m.json() as { warmup?: { done: number } }).warmup?.done ?? done;
      },
    });
    // 2,000 requests of 50 ms, 2 at a time: about 50 s of warm-up if nothing stopped it.
    await podsLive(h.rt, "rel-slow", "slow", { validation: { warmup: { requests: 2000, concurrency: 2, paths: ["/"], maxErrorRate: 0 } } });
    await waitFor("warm-up under way", () => done > 10);
    const abort = releaseEvents("rel-slow", "slow", NS, Date.now())("AbortRequested", { by: "carol", reason: "changed my mind" });
    await h.rt.bus.publish(abort);
    await record(h.rt, abort);
    const stoppedAt = Date.now();
    await waitFor("PodsLive delivery acked", async () => {
      const info = await h.rt.bus.jsm.consumers.info(h.rt.bus.subjects.eventsStream, "validator--pods_live");
      return info.num_ack_pending === 0 && info.num_pending === 0;
    });
    expect(Date.now() - stoppedAt).toBeLessThan(3000);
    expect(done).toBeLessThan(2000);
    const names = (await h.rt.bus.releaseEvents("rel-slow")).map((e) => e.name);
    expect(names).not.toContain("ValidationPassed");
    expect(names).not.toContain("ValidationFailed");
    await sub.drain();
    await nc.close();
  });

  it("sends nothing off the preview Service, even for a spec stored before the path rule (issue 22: SSRF)", async () => {
    // Given a host the validator must never reach, answering with what stands in for cloud credentials
    const SECRET = "AKIAEXAMPLE-instance-credentials";
    const received: string[] = [];
    const rogue: Server = createServer((req, res) => {
      received.push(`${req.method} ${req.url}`);
      res.end(SECRET);
    });
    await new Promise<void>((r) => rogue.listen(0, "127.0.0.1", r));
    const rogueHost = `127.0.0.1:${(rogue.address() as AddressInfo).port}`;
    try {
      await v2Behind(h, "ssrf", []);
      // When a release whose stored spec predates the rule names that host through its paths
      await podsLive(
        h.rt,
        "rel-ssrf",
        "ssrf",
        { validation: { tests: [{ name: "health", request: { path: "/healthz" } }, { name: "meta", request: { path: "/x" } }], warmup: { requests: 4, paths: ["/"] } } },
        (spec) => {
          const meta = spec.validation.tests[1]!;
          (meta.request as { path: string; method: string }).path = `//${rogueHost}/latest/meta-data`;
          (meta.request as { method: string }).method = "POST";
          spec.validation.warmup.paths = [`/\\${rogueHost}/warm`, `/\t/${rogueHost}/warm`];
        },
      );
      // Then validation fails naming the refused requests, and the rogue host saw no request at all
      const verdict = await waitFor("a verdict", async () =>
        (await h.rt.bus.releaseEvents("rel-ssrf")).find((e) => e.name === "ValidationFailed" || e.name === "ValidationPassed"),
      );
      expect(received).toEqual([]);
      expect(JSON.stringify(verdict)).not.toContain(SECRET);
      expect(verdict.name).toBe("ValidationFailed");
      const failed = verdict as Extract<typeof verdict, { name: "ValidationFailed" }>;
      expect(failed.data.checks.map((c) => [c.name, c.passed])).toEqual([
        ["health", true],
        ["meta", false],
      ]);
      expect(failed.data.checks[1]!.got).toMatch(/^not sent: the path leads off the preview Service \(to 127\.0\.0\.1:\d+\) \(0 ms\)$/);
      expect(failed.data.warmup).toMatchObject({ requests: 4, errors: 4, passed: false });
    } finally {
      rogue.closeAllConnections();
      await new Promise((r) => rogue.close(r));
    }
  });
});
