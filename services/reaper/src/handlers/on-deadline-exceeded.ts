import { deploymentName, type Handler } from "@baton/runtime";
import type { ReaperDeps } from "../deps.js";
import { deploymentExists, revisionPods } from "../steps/v1-workload.js";

// The reaper's phases have deadlines: `switched` (shutdown.delaySeconds plus the installation's
// margin), `draining` (shutdown.gracePeriodSeconds plus the margin) and `finalizing` (the margin
// plus every activity's timeout). When one passes, the reaper's own step could not finish (its
// message went to the dead letters, its timer was lost, or the reaper is down): the release fails
// with the reaper named as the stage and what is left of v1, and the app's lock is free again.
// Production stays on v2, which passed validation. Deadlines of other phases belong to other stages.

const REAPER_PHASES: ReadonlySet<string> = new Set(["switched", "draining", "finalizing"]);

export function onDeadlineExceeded(deps: ReaperDeps): Handler<"DeadlineExceeded"> {
  return async (ctx) => {
    const { phase, deadlineSeconds } = ctx.event.data;
    if (!REAPER_PHASES.has(phase) || ctx.state.phase !== phase) return;
    const left = await leftOfV1(deps, ctx.rt.metrics, ctx.release, ctx.state.previousRevision);
    const cause = `${phase} did not finish within ${deadlineSeconds}s: ${left}; see the reaper's logs and dead letters`;
    ctx.log.error({ deadlineSeconds }, cause);
    await ctx.emit("ReleaseFailed", { stage: "reaper", cause });
  };
}

async function leftOfV1(
  deps: ReaperDeps,
  metrics: Parameters<typeof deploymentExists>[0]["metrics"],
  release: { app: string; namespace: string },
  previous: number | null,
): Promise<string> {
  if (previous === null) return "the post-release activities did not end";
  const kube = { deps, metrics };
  const name = deploymentName(release.app, previous);
  const exists = await deploymentExists(kube, release.namespace, name);
  const pods = await revisionPods(kube, release.namespace, release.app, previous).then((p) => p.length, () => undefined);
  if (exists === false && pods === 0) return `v1 (${name}) is gone, the post-release activities did not end`;
  if (exists === undefined || pods === undefined) return `v1 (${name}) may still exist (the cluster did not answer)`;
  return `v1 is not fully removed: Deployment ${name} ${exists ? "still exists" : "is gone"}, ${pods} pod(s) left`;
}
