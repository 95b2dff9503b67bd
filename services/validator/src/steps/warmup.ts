import type { Agent } from "node:http";
import type { ReleaseState, WarmupResult } from "@baton/contracts";
import { isAnswer, sendRequest, type HttpResult } from "./http-request.js";

// Warm-up traffic: `requests` GETs over `paths` (round-robin), `concurrency` at a time. An error is
// a network failure or a status of 400 or more. The result carries the error rate against its
// bound and the latency percentiles.

type Spec = NonNullable<ReleaseState["spec"]>;
export type WarmupSpec = Spec["validation"]["warmup"];

export interface WarmupProgress {
  (done: number, total: number, errors: number): void;
}

export async function runWarmup(
  agent: Agent,
  baseUrl: string,
  w: WarmupSpec,
  timeoutMs: number,
  signal: AbortSignal,
  onProgress: WarmupProgress,
  onAnswer: (r: HttpResult, sentAt: number) => void = () => undefined,
): Promise<WarmupResult> {
  const latencies: number[] = [];
  let next = 0;
  let errors = 0;
  const worker = async () => {
    while (next < w.requests && !signal.aborted) {
      const i = next++;
      const path = w.paths[i % w.paths.length] ?? "/";
      const sentAt = Date.now();
      const r = await sendRequest(agent, baseUrl, { method: "GET", path }, timeoutMs, signal);
      onAnswer(r, sentAt);
      latencies.push(r.latencyMs);
      if (!isAnswer(r) || r.status >= 400) errors++;
      onProgress(latencies.length, w.requests, errors);
    }
  };
  await Promise.all(Array.from({ length: Math.min(w.concurrency, Math.max(1, w.requests)) }, worker));
  return warmupResult(latencies, errors, w.maxErrorRate);
}

export function warmupResult(latencies: readonly number[], errors: number, maxErrorRate: number): WarmupResult {
  const requests = latencies.length;
  const errorRate = requests === 0 ? 0 : errors / requests;
  const sorted = [...latencies].sort((a, b) => a - b);
  return {
    requests,
    errors,
    errorRate,
    maxErrorRate,
    p50Ms: percentile(sorted, 0.5),
    p99Ms: percentile(sorted, 0.99),
    passed: errorRate <= maxErrorRate,
  };
}

/** Nearest-rank percentile of sorted values (0 for none). */
export function percentile(sorted: readonly number[], q: number): number {
  if (sorted.length === 0) return 0;
  const rank = Math.max(1, Math.ceil(q * sorted.length));
  return sorted[Math.min(sorted.length, rank) - 1] ?? 0;
}

/** e.g. `error rate <= 1%` / `12 errors in 200 requests (6%)`. */
export function warmupFailure(r: WarmupResult): { name: string; expected: string; got: string } {
  return {
    name: "warmup",
    expected: `error rate <= ${pct(r.maxErrorRate)} over ${r.requests} requests`,
    got: `${r.errors} error${r.errors === 1 ? "" : "s"} in ${r.requests} requests (${pct(r.errorRate)}), p50 ${r.p50Ms} ms, p99 ${r.p99Ms} ms`,
  };
}

function pct(x: number): string {
  return `${Math.round(x * 10_000) / 100}%`;
}
