import { phaseDeadlineSeconds, type EventName, type ReleaseSpec, type ReleaseState } from "@baton/contracts";
import { TerminalError, step, type HandlerContext } from "@baton/runtime";
import { runPostRelease } from "../activities/post-release.js";
import type { ReaperDeps } from "../deps.js";

// The end of every release the reaper sees through: post-release activities, then ReleaseCompleted.

export interface Completion {
  readonly revision: number;
  readonly previousRevision: number | null;
  readonly forcedPods: number;
}

export async function complete<N extends EventName>(ctx: HandlerContext<N>, deps: ReaperDeps, c: Completion): Promise<void> {
  const spec = specOf(ctx.state);
  const postRelease = await step("run the post-release activities", ctx.release.releaseId, () =>
    runPostRelease(
      {
        deps,
        metrics: ctx.rt.metrics,
        log: ctx.log,
        release: ctx.release,
        revision: c.revision,
        previousRevision: c.previousRevision,
        lastAttempt: ctx.attempt >= ctx.rt.config.BATON_MAX_DELIVER || nearDeadline(ctx, spec),
      },
      spec.postRelease,
    ),
  );
  const failed = postRelease.filter((r) => !r.ok).map((r) => r.name);
  ctx.progress({ postRelease: postRelease.map((r) => ({ name: r.name, ok: r.ok, skipped: r.skipped ?? false })) });
  if (failed.length > 0) {
    ctx.log.error({ failed }, `release completes with failed post-release activities: ${failed.join(", ")}`);
  }
  await ctx.emit("ReleaseCompleted", { ...c, postRelease });
}

/** Time kept before the phase's deadline for a last run of the activities, beyond their own timeouts. */
const LAST_RUN_MARGIN_MS = 60_000;

/**
 * Whether another retry of the activities could not finish before the deadline of the phase: then
 * this run is the last, and an activity still failing is recorded as failed (the release completes)
 * instead of retried into the deadline (which would fail the release).
 */
function nearDeadline<N extends EventName>(ctx: HandlerContext<N>, spec: ReleaseSpec): boolean {
  const { phase, enteredAt } = ctx.state;
  const seconds = phaseDeadlineSeconds(phase, spec, ctx.rt.deadlines);
  const entered = enteredAt[phase];
  if (seconds === undefined || entered === undefined) return false;
  const reserve = spec.postRelease.reduce((sum, a) => sum + a.timeoutSeconds * 1000, 0) + LAST_RUN_MARGIN_MS;
  return Date.parse(entered) + seconds * 1000 - ctx.rt.clock().getTime() < reserve;
}

/** The release's spec; a state without one is a broken invariant past the planner. */
export function specOf(state: ReleaseState): ReleaseSpec {
  if (state.spec === null) throw new TerminalError(`release ${state.releaseId} has no spec in its state (phase ${state.phase})`);
  return state.spec;
}

export function revisionOf(state: ReleaseState): number {
  if (state.revision === null) throw new TerminalError(`release ${state.releaseId} has no revision in its state (phase ${state.phase})`);
  return state.revision;
}
