import { ENDED, deploymentName, failIfNotOwned, step, type Handler } from "@baton/runtime";
import type { ReaperDeps } from "../deps.js";
import { checkOurs, revisionPods, scaleToZero } from "../steps/v1-workload.js";
import { specOf } from "./complete.js";

// The fast-rollback window is over: v1 is told to shut down gracefully (scaled to zero, so its
// pods get SIGTERM and their own grace period), then DrainStarted. Only a v1 Baton made: another
// Deployment with its name ends the release (ReleaseFailed naming it), left as it is. The grace timer is armed by the
// reaper's own DrainStarted handler (see on-drain-started.ts): DrainStarted is durable in the
// stream, so a crash after the emit still arms it, and ShutdownDue can never overtake DrainStarted
// (with gracePeriodSeconds 0, a timer armed before the emit fired first and the state machine
// then refused DrainStarted). A redelivery finds the scale at 0, writes nothing, and emits the
// same DrainStarted id (dropped by JetStream's dedup).

export function onDrainDue(deps: ReaperDeps): Handler<"DrainDue"> {
  return async (ctx) => {
    const { releaseId, app, namespace } = ctx.release;
    const spec = specOf(ctx.state);
    const revision = ctx.event.data.revision;
    const name = deploymentName(app, revision);
    const kube = { deps, metrics: ctx.rt.metrics };

    const left = `v1 was left as it is (production is on revision ${ctx.state.revision})`;
    const ours = await failIfNotOwned(ctx, "reaper", left, () => step("check v1 is Baton's", releaseId, () => checkOurs(kube, namespace, name, app)));
    if (ours === ENDED) return;
    const scaled = await step("scale v1 to zero", releaseId, () => scaleToZero(kube, namespace, name));
    if (scaled === "scaled") ctx.log.info({ deployment: name }, "scaled v1 to 0: its pods got SIGTERM");
    else ctx.log.info({ deployment: name, why: scaled }, `skipped the scale-down: ${scaled === "gone" ? "the Deployment is gone" : "already at 0"}`);

    const pods = (await step("count v1 pods", releaseId, () => revisionPods(kube, namespace, app, revision))).length;
    await ctx.emit("DrainStarted", { revision, pods, gracePeriodSeconds: spec.shutdown.gracePeriodSeconds });
  };
}
