import type { Agent } from "node:http";
import type { CheckResult, Failure, WarmupResult, Warning } from "@baton/contracts";
import { ack, retry, step, type Handler, type HandlerContext, type Outcome } from "@baton/runtime";
import type { ValidatorDeps } from "../deps.js";
import { sendRequest, validationAgent } from "../steps/http-request.js";
import { judge, type TestCheck } from "../steps/judge.js";
import { previewUrl, waitPreviewEndpoints, waitPreviewReachable } from "../steps/preview-url.js";
import { throttle } from "../steps/throttle.js";
import { First503, startingPodsWarnings } from "../steps/starting-pods.js";
import { runWarmup, warmupFailure } from "../steps/warmup.js";

// PodsLive: send the spec's test and warm-up traffic to v2 through the preview Service, then
// emit ValidationPassed or ValidationFailed with every check's result.
//   1. previewUrl   the preview Service's address (it must select the revision under test), and
//                   the wait until its EndpointSlices list a ready pod of that revision and
//                   it answers HTTP (the node's proxy programs a new endpoint a moment later)
//   2. runChecks    each test request, judged on status, body and latency (one after the other)
//   3. runWarmup    `requests` GETs at `concurrency`, judged on the error rate
//   4. emit         the verdict (deduplicated, so a redelivery that re-runs the reads emits once);
//                   a failure names pods that had only just started when they answered 503 and the
//                   plan warned they have no readinessProbe (steps/starting-pods.ts)
// The work stops when the release leaves validating (its deadline, an abort: the rollback is the
// pod-manager's) or after validation.timeoutSeconds, and on shutdown (the message is then
// redelivered to another replica).

type Ctx = HandlerContext<"PodsLive">;
const PROGRESS_EVERY_MS = 100;
const PHASE_CHECK_MS = 1_000;

export function onPodsLive(deps: ValidatorDeps): Handler<"PodsLive"> {
  return async (ctx) => {
    const spec = ctx.state.spec;
    const revision = ctx.event.data.revision;
    if (spec === null) return ack;
    const { releaseId, namespace, app } = ctx.release;
    const baseUrl = await step("previewUrl", releaseId, () => previewUrl(deps.core, deps.config, namespace, app, revision, ctx.rt.metrics));
    const movedOn = watchPhase(ctx);
    // A timer cleared when validation ends, not AbortSignal.timeout: that one (and the combined
    // signal listening to it) would stay in memory for the whole timeout (300 s by default).
    const timedOut = new AbortController();
    const timeout = setTimeout(() => timedOut.abort(), spec.validation.timeoutSeconds * 1000);
    const signal = AbortSignal.any([ctx.signal, movedOn.signal, timedOut.signal]);
    const v = spec.validation;
    const agent = validationAgent(Math.max(1, v.warmup.concurrency));
    const first503 = new First503();
    try {
      await step("previewEndpoints", releaseId, () => waitPreviewEndpoints(deps.discovery, namespace, app, revision, signal, ctx.rt.metrics));
      await waitPreviewReachable(baseUrl, signal);
      const checks = await step("runChecks", releaseId, () => runChecks(ctx, agent, baseUrl, v.tests, v.requestTimeoutMs, signal, first503));
      const warmup =
        v.warmup.requests === 0 || signal.aborted
          ? null
          : await step("runWarmup", releaseId, () => warmupWithProgress(ctx, agent, baseUrl, v.warmup, v.requestTimeoutMs, signal, first503));
      if (signal.aborted) return stopped(ctx, !ctx.signal.aborted);
      const warnings = startingPodsWarnings(ctx.state, Date.parse(ctx.event.time), first503.at);
      return await verdict(ctx, revision, checks, warmup, warnings);
    } finally {
      clearTimeout(timeout);
      movedOn.stop();
      agent.destroy();
    }
  };
}

/**
 * Aborts when the release leaves `validating` (its deadline passed, or it was aborted), read from
 * the store every PHASE_CHECK_MS: the deadline lives in Redis, so no local clock decides it.
 */
function watchPhase(ctx: Ctx): { signal: AbortSignal; stop: () => void } {
  const controller = new AbortController();
  const timer = setInterval(() => {
    ctx.rt.store.get(ctx.release.releaseId).then(
      (s) => {
        if (s !== null && s.state.phase !== "validating") controller.abort();
      },
      () => undefined, // Redis hiccup: check again next time
    );
  }, PHASE_CHECK_MS);
  return { signal: controller.signal, stop: () => clearInterval(timer) };
}

async function runChecks(
  ctx: Ctx,
  agent: Agent,
  baseUrl: string,
  tests: readonly TestCheck[],
  requestTimeoutMs: number,
  signal: AbortSignal,
  first503: First503,
): Promise<CheckResult[]> {
  const results: CheckResult[] = [];
  const progress = throttle(PROGRESS_EVERY_MS, (done: number) => ctx.progress({ validation: { done, total: tests.length } }));
  for (const check of tests) {
    if (signal.aborted) break;
    const timeoutMs = check.expect.maxLatencyMs ?? requestTimeoutMs;
    const sentAt = Date.now();
    const answer = await sendRequest(agent, baseUrl, check.request, timeoutMs, signal);
    first503.see(answer, sentAt);
    const result = judge(check, answer);
    results.push(result);
    ctx.log.info({ check: result.name, passed: result.passed, expected: result.expected, got: result.got }, "test request judged");
    progress.call(results.length);
  }
  progress.flush();
  return results;
}

async function warmupWithProgress(
  ctx: Ctx,
  agent: Agent,
  baseUrl: string,
  w: Parameters<typeof runWarmup>[2],
  timeoutMs: number,
  signal: AbortSignal,
  first503: First503,
): Promise<WarmupResult> {
  const progress = throttle(PROGRESS_EVERY_MS, (done: number, total: number, errors: number) =>
    ctx.progress({ warmup: { done, total, errors } }),
  );
  const r = await runWarmup(agent, baseUrl, w, timeoutMs, signal, progress.call, (answer, sentAt) => first503.see(answer, sentAt));
  progress.flush();
  ctx.log.info({ ...r }, "warm-up done");
  return r;
}

async function verdict(ctx: Ctx, revision: number, checks: CheckResult[], warmup: WarmupResult | null, warnings: Warning[]): Promise<Outcome> {
  const failures: Failure[] = checks.filter((c) => !c.passed).map(({ name, expected, got }) => ({ name, expected, got }));
  if (warmup !== null && !warmup.passed) failures.push(warmupFailure(warmup));
  if (failures.length === 0) await ctx.emit("ValidationPassed", { revision, checks, warmup });
  else {
    for (const w of warnings) ctx.log.warn({ warning: w.code }, w.message);
    await ctx.emit("ValidationFailed", { revision, checks, warmup, failures, ...(warnings.length > 0 ? { warnings } : {}) });
  }
  return ack;
}

function stopped(ctx: Ctx, deadlinePassed: boolean): Outcome {
  if (deadlinePassed) {
    ctx.log.warn("validation stopped: the release left validating (deadline passed or aborted)");
    return ack;
  }
  return retry("shutting down during validation; another replica runs it again", 0);
}
