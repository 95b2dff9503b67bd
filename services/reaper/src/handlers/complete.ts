import type { EventName, ReleaseSpec, ReleaseState } from "@baton/contracts";
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
        lastAttempt: ctx.attempt >= ctx.rt.config.BATON_MAX_DELIVER,
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

/** The release's spec; a state without one is a broken invariant past the planner. */
export function specOf(state: ReleaseState): ReleaseSpec {
  if (state.spec === null) throw new TerminalError(`release ${state.releaseId} has no spec in its state (phase ${state.phase})`);
  return state.spec;
}

export function revisionOf(state: ReleaseState): number {
  if (state.revision === null) throw new TerminalError(`release ${state.releaseId} has no revision in its state (phase ${state.phase})`);
  return state.revision;
}
