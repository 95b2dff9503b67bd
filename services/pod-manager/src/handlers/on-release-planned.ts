import { ack, notOwnedCause, retry, step, type Handler, type HandlerContext, type NotOwnedError, type Outcome } from "@baton/runtime";
import type { PodManagerDeps, Target } from "../deps.js";
import { ensureDeployment } from "../steps/ensure-deployment.js";
import { ensurePreviewService } from "../steps/ensure-preview-service.js";
import { teardownRevision } from "../steps/teardown.js";
import { waitPodsLive, type WaitResult } from "../steps/wait-pods-live.js";
import { targetOf } from "./context.js";

// ReleasePlanned: bring v2 up and report when enough of it is live.
//   1. ensureDeployment      `<app>-<rev>` from v1's pod template (or the request's)
//   2. ensurePreviewService  `<app>-preview` selecting the new revision (at the same time as 1);
//                            a name taken by an object Baton did not make stops the release (PodsFailed)
//   3. stillPlanned          an abort or a deadline that came meanwhile wins: undo and stop
//   4. waitPodsLive          woken by the shared pod watch; PodsLive once liveThreshold are Ready
// The wait is bounded by the pods-live deadline (plus a margin), and at most MAX_WAIT_MS per
// delivery, so a redelivery (another replica, after a crash) picks the wait up where it stands.

const MAX_WAIT_MS = 15 * 60_000;
const DEADLINE_MARGIN_MS = 5_000;
const MIN_WAIT_MS = 30_000;
const RECHECK_MS = 1_000;

type Ctx = HandlerContext<"ReleasePlanned">;

export function onReleasePlanned(deps: PodManagerDeps): Handler<"ReleasePlanned"> {
  return async (ctx) => {
    const { t, spec } = targetOf(ctx);
    const id = t.releaseId;
    // Independent objects, so made at once (a Service selecting pods that do not exist yet is harmless).
    // Both are waited for, so that a rollback never runs while a create is still on its way.
    const made = await Promise.allSettled([
      step("ensureDeployment", id, () => ensureDeployment(deps, t, spec, ctx.state.previousRevision, ctx.log)),
      step("ensurePreviewService", id, () => ensurePreviewService(deps, t, spec.port, ctx.log)),
    ]);
    const failed = made.flatMap((m) => (m.status === "rejected" ? [m.reason as unknown] : []));
    const notOwned = failed.map(notOwnedCause).find((e) => e !== undefined);
    if (notOwned !== undefined) return stopNotOwned(ctx, t, spec.replicas, notOwned);
    if (failed.length > 0) throw failed[0];
    if (!(await step("stillPlanned", id, () => stillPlanned(deps, ctx, t)))) return ack;
    const result = await step("waitPodsLive", id, () =>
      waitPodsLive(deps, t, {
        threshold: spec.liveThreshold,
        desired: spec.replicas,
        boundMs: waitBoundMs(ctx, spec.podsLiveTimeoutSeconds),
        recheckMs: RECHECK_MS,
        signal: ctx.signal,
        stillWaiting: () => isWaitingForPods(ctx),
        onProgress: (ready, desired) => ctx.progress({ pods: { ready, desired } }),
      }),
    );
    return afterWait(ctx, t, result);
  };
}

/** A name Baton needs is taken by an object it did not make: v2 cannot come up; roll back (only Baton's objects go). */
async function stopNotOwned(ctx: Ctx, t: Target, desired: number, err: NotOwnedError): Promise<Outcome> {
  ctx.log.error({ why: err.message }, "stopping the release: a name Baton needs is taken by an object Baton did not make");
  await ctx.emit("PodsFailed", { revision: t.revision, ready: 0, desired, reason: err.message, pods: [] });
  return ack;
}

async function afterWait(ctx: Ctx, t: Target, r: WaitResult): Promise<Outcome> {
  switch (r.kind) {
    case "live":
      await ctx.emit("PodsLive", { revision: t.revision, ready: r.ready, desired: r.desired });
      return ack;
    case "moved-on":
      ctx.log.info("stopped waiting for pods: the release moved on (aborted or past its pods-live deadline)");
      return ack;
    case "cancelled":
      return retry(`shutting down while ${r.ready} pods were Ready; another replica takes over`, 0);
    case "bound":
      return retry(`${r.ready} of ${ctx.state.spec?.liveThreshold} pods Ready; still waiting`, 1000);
  }
}

/**
 * How long this delivery may wait: until the pods-live deadline plus a margin, within
 * [MIN_WAIT_MS, MAX_WAIT_MS]. The deadline itself ends the wait (seen in the store), so the floor
 * only guards against a clock that disagrees with the one that stamped the event.
 */
function waitBoundMs(ctx: Ctx, timeoutSeconds: number): number {
  const entered = Date.parse(ctx.state.enteredAt.planned ?? ctx.event.time);
  const left = entered + timeoutSeconds * 1000 + DEADLINE_MARGIN_MS - ctx.rt.clock().getTime();
  return Math.min(MAX_WAIT_MS, Math.max(MIN_WAIT_MS, left));
}

async function isWaitingForPods(ctx: Ctx): Promise<boolean> {
  const s = (await ctx.rt.store.get(ctx.release.releaseId))?.state;
  return s !== undefined && s.phase === "planned" && !s.deadlinesExceeded.includes("planned");
}

/**
 * True while the release is still planned. When it was aborted or failed while the Deployment was
 * being created, the teardown may have run before the create: undo what this delivery made.
 */
async function stillPlanned(deps: PodManagerDeps, ctx: Ctx, t: Target): Promise<boolean> {
  const s = (await ctx.rt.store.get(t.releaseId))?.state;
  if (s === undefined || s.phase === "planned") return true;
  ctx.log.info({ phase: s.phase }, "skipped waiting: the release moved on while v2 was being created");
  if (s.phase === "rolling_back" || s.phase === "rolled_back" || s.phase === "failed") {
    await teardownRevision(deps, t, s.previousRevision === null, ctx.log);
  }
  return false;
}
