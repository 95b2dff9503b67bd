import { ENDED, deploymentName, failIfNotOwned, step, type Handler } from "@baton/runtime";
import type { ReaperDeps } from "../deps.js";
import { checkOurs, deleteDeployment, forceDeletePods, revisionPods } from "../steps/v1-workload.js";
import { complete, revisionOf } from "./complete.js";

// The grace period is over: what is left of v1 is deleted with grace period 0, then its
// Deployment, then the post-release activities run and the release completes. Every step is safe
// to repeat (404 = already done), so a redelivery after a crash picks up where it stopped. Only a
// v1 Baton made is forced down: one relabelled meanwhile ends the release (ReleaseFailed naming it).

export function onShutdownDue(deps: ReaperDeps): Handler<"ShutdownDue"> {
  return async (ctx) => {
    const { releaseId, app, namespace } = ctx.release;
    const previous = ctx.event.data.revision;
    const name = deploymentName(app, previous);
    const kube = { deps, metrics: ctx.rt.metrics };

    const kept = `v1 was left as it is (production is on revision ${ctx.state.revision})`;
    const ours = await failIfNotOwned(ctx, "reaper", kept, () => step("check v1 is Baton's", releaseId, () => checkOurs(kube, namespace, name, app)));
    if (ours === ENDED) return;
    const left = await step("list the v1 pods left", releaseId, () => revisionPods(kube, namespace, app, previous));
    const forcedPods = await step("force-delete the v1 pods left", releaseId, () => forceDeletePods(kube, namespace, left));
    if (forcedPods > 0) ctx.log.info({ forcedPods, pods: left.map((p) => p.metadata?.name) }, `forced ${forcedPods} v1 pod(s) down after the grace period`);
    else ctx.log.info("no v1 pod left to force down");

    const deleted = await step("delete the v1 Deployment", releaseId, () => deleteDeployment(kube, namespace, name));
    ctx.log.info({ deployment: name }, deleted ? "deleted the v1 Deployment" : "skipped: the v1 Deployment was already gone");
    ctx.progress({ shutdown: { state: "done", revision: previous, forcedPods } });

    await complete(ctx, deps, { revision: revisionOf(ctx.state), previousRevision: previous, forcedPods });
  };
}
