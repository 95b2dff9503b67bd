import { ENDED, deploymentName, failIfNotOwned, retry, step, terminal, type HandlerContext, type Outcome } from "@baton/runtime";
import type { KubePorts } from "./kube.js";
import type { SwitcherOptions } from "./options.js";
import { confirmSwitch } from "./steps/confirm-switch.js";
import { readyEndpointsOf } from "./steps/ready-endpoints.js";
import { ensureProductionService } from "./steps/switch-selector.js";

type SwitchContext = HandlerContext<"ValidationPassed"> | HandlerContext<"PromotionApproved">;

/**
 * The switch, as a straight list of steps: enough ready endpoints of v2? → point the production
 * Service at v2 (create it on a first release) → confirm only v2 serves → TrafficSwitched.
 */
export async function switchTraffic(ctx: SwitchContext, kube: KubePorts, opts: SwitcherOptions): Promise<Outcome | void> {
  const { releaseId, app, namespace } = ctx.release;
  const { revision, spec, previousRevision } = ctx.state;
  if (revision === null || spec === null) return terminal(`release ${releaseId} is promoting without a revision or spec`);

  const live = await step("enough-ready-endpoints", releaseId, () => waitForReadyEndpoints(ctx, kube, revision, spec.liveThreshold, opts));
  ctx.progress({ step: "switch", ready: live.ready, needed: spec.liveThreshold });
  if (live.ready < spec.liveThreshold) {
    const why = `only ${live.ready} of ${spec.liveThreshold} needed ready endpoints of revision ${revision} (${live.pods} pods)`;
    ctx.log.info({ ready: live.ready, needed: spec.liveThreshold, pods: live.pods }, `holding back the switch: ${why}`);
    return retry(why, opts.holdBackMs(ctx.attempt));
  }

  if (!(await stillPromoting(ctx))) return;
  const left = `production was not switched (v2, Deployment ${deploymentName(app, revision)}, is left for inspection)`;
  const change = await failIfNotOwned(ctx, "traffic-switcher", left, () =>
    step("ensure-production-service", releaseId, () => ensureProductionService(kube, namespace, app, revision, spec.port)),
  );
  if (change === ENDED) return;
  ctx.log.info({ change, revision }, `production Service ${change === "unchanged" ? "already selects" : change === "created" ? "created for" : "switched to"} revision ${revision}`);

  const confirmed = await step("confirm-switch", releaseId, () =>
    confirmSwitch(kube, namespace, app, revision, spec.liveThreshold, opts, ctx.signal),
  );
  if (!confirmed.ok) {
    const why = `production Endpoints list ${confirmed.ofRevision} ready pods of revision ${revision} (need ${confirmed.needed}) and ${confirmed.others} of others`;
    ctx.log.warn({ ...confirmed }, `switch not confirmed yet: ${why}`);
    return retry(why, opts.holdBackMs(ctx.attempt));
  }

  const r = await ctx.emit("TrafficSwitched", { from: previousRevision, to: revision, endpoints: confirmed.endpoints });
  if (!r.emitted) await undoIfSuperseded(ctx, kube);
}

/** Re-checks the ready endpoints until there are enough, the wait runs out, or the delivery is cancelled. */
async function waitForReadyEndpoints(ctx: SwitchContext, kube: KubePorts, revision: number, needed: number, opts: SwitcherOptions) {
  const { app, namespace } = ctx.release;
  const until = Date.now() + opts.readyWaitMs;
  for (;;) {
    const live = await readyEndpointsOf(kube, namespace, app, revision, needed);
    if (live.ready >= needed || Date.now() >= until || ctx.signal.aborted) return live;
    await new Promise((r) => setTimeout(r, Math.max(opts.pollMs, 100)));
  }
}

/** The release may have moved on (aborted, deadline) while this handler waited: then it must not switch. */
async function stillPromoting(ctx: SwitchContext): Promise<boolean> {
  const now = (await ctx.rt.store.get(ctx.release.releaseId))?.state;
  if (now?.phase === "promoting") return true;
  ctx.log.info({ phase: now?.phase }, "skipped the switch: the release is no longer promoting");
  return false;
}

/**
 * TrafficSwitched was refused: the release moved on between the check and the patch (an abort
 * or a deadline rolled it back). If production now points at v2 of a rolled-back release, put it
 * back on v1 — the switch-back handler may already have run and will not run again.
 */
async function undoIfSuperseded(ctx: SwitchContext, kube: KubePorts): Promise<void> {
  const now = (await ctx.rt.store.get(ctx.release.releaseId))?.state;
  if (now === undefined || !["rolling_back", "rolled_back"].includes(now.phase)) return;
  const { releaseId, app, namespace } = ctx.release;
  const previous = now.previousRevision;
  const port = now.spec?.port;
  if (previous === null || port === undefined) return; // a first release: there was nothing before
  const change = await step("undo-switch", releaseId, () => ensureProductionService(kube, namespace, app, previous, port));
  ctx.log.warn({ phase: now.phase, change, previous }, "the release was rolled back during the switch: production put back on the previous revision");
}
