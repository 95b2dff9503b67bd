import { describe, expect, it } from "vitest";
import { TestCheck } from "@baton/contracts";
import { judge, percentile, warmupFailure, warmupResult } from "../src/index.js";

const check = (input: unknown) => TestCheck.parse(input);

describe("judge", () => {
  const version = check({ name: "version", request: { path: "/version" }, expect: { status: 200, bodyContains: "2.0.0", maxLatencyMs: 200 } });

  it("passes when status, body and latency all hold", () => {
    expect(judge(version, { status: 200, body: "2.0.0", latencyMs: 12.3 })).toEqual({
      name: "version",
      passed: true,
      expected: 'status 200, body contains "2.0.0", within 200 ms',
      got: 'status 200, body "2.0.0" (12 ms)',
      latencyMs: 12.3,
    });
  });

  it("fails on each rule alone, and says what came back", () => {
    expect(judge(version, { status: 200, body: "1.0.0", latencyMs: 312 })).toMatchObject({ passed: false, got: 'status 200, body "1.0.0" (312 ms)' });
    expect(judge(version, { status: 200, body: "2.0.0", latencyMs: 201 }).passed).toBe(false);
    expect(judge(version, { status: 503, body: "2.0.0", latencyMs: 5 }).passed).toBe(false);
    expect(judge(version, { error: "ECONNREFUSED connect ECONNREFUSED 127.0.0.1:1", latencyMs: 2 })).toMatchObject({
      passed: false,
      got: "ECONNREFUSED connect ECONNREFUSED 127.0.0.1:1 (2 ms)",
    });
  });

  it("shows at most 200 characters of a body", () => {
    const r = judge(version, { status: 200, body: "x".repeat(500), latencyMs: 1 });
    expect(r.got).toBe(`status 200, body "${"x".repeat(200)}…" (1 ms)`);
  });
});

describe("warm-up result", () => {
  it("nearest-rank percentiles and the error-rate bound", () => {
    expect(percentile([1, 2, 3, 4], 0.5)).toBe(2);
    expect(percentile([1, 2, 3, 4], 0.99)).toBe(4);
    expect(percentile([], 0.5)).toBe(0);
    const r = warmupResult([5, 1, 3, 2, 4], 1, 0.1);
    expect(r).toEqual({ requests: 5, errors: 1, errorRate: 0.2, maxErrorRate: 0.1, p50Ms: 3, p99Ms: 5, passed: false });
    expect(warmupFailure(r)).toEqual({
      name: "warmup",
      expected: "error rate <= 10% over 5 requests",
      got: "1 error in 5 requests (20%), p50 3 ms, p99 5 ms",
    });
  });
});
