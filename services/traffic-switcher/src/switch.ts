import { ConflictError, ENDED, deploymentName, failIfNotOwned, retry, step, terminal, type HandlerContext, type Outcome } from "@baton/runtime";
import type { KubePorts } from "./kube.js";
import type { SwitcherOptions } from "./options.js";
import { confirmSwitch } from "./steps/confirm-switch.js";
import { readyEndpointsOf } from "./steps/ready-endpoints.js";
import { ServiceChanged, ensureProductionService, pointProductionAt, readProductionService, type SelectorChange } from "./steps/switch-selector.js";

type SwitchContext = HandlerContext<"ValidationPassed"> | HandlerContext<"PromotionApproved"> | HandlerContext<"AnalysisPassed">;

/**
 * The switch, as a straight list of steps: enough ready endpoints of v2? → point the production
 * Service at v2 (create it on a first release) while the release is still promoting → confirm
 * only v2 serves → TrafficSwitched.
 *
 * An abort or the promoting deadline can land at any moment of it, and the switch-back then runs
 * beside it. So the "still promoting?" check is made with the Service read the patch is
 * conditional on (its resourceVersion): a switch-back that wrote in between makes the patch fail,
 * and the check runs again. And a patch that lost the race anyway (the switch-back found nothing to
 * write) is undone on every way out of this handler that did not record TrafficSwitched — the
 * release moved on, the confirmation failed, a step threw — since no later delivery will.
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

  const left = `production was not switched (v2, Deployment ${deploymentName(app, revision)}, is left for inspection)`;
  const change = await failIfNotOwned(ctx, "traffic-switcher", left, () =>
    step("ensure-production-service", releaseId, () => switchWhilePromoting(ctx, kube, revision, spec.port)),
  );
  if (change === ENDED || change === "moved-on") return;
  ctx.log.info({ change, revision }, `production Service ${change === "unchanged" ? "already selects" : change === "created" ? "created for" : "switched to"} revision ${revision}`);

  let recorded = false;
  try {
    if (!(await stillPromoting(ctx))) return; // moved on during the patch: undone below
    const confirmed = await step("confirm-switch", releaseId, () =>
      confirmSwitch(kube, namespace, app, revision, spec.liveThreshold, opts, ctx.signal),
    );
    if (!confirmed.ok) {
      const why = `production EndpointSlices list ${confirmed.ofRevision} ready pods of revision ${revision} (need ${confirmed.needed}) and ${confirmed.others} of others`;
      ctx.log.warn({ ...confirmed }, `switch not confirmed yet: ${why}`);
      return retry(why, opts.holdBackMs(ctx.attempt));
    }
    recorded = (await ctx.emit("TrafficSwitched", { from: previousRevision, to: revision, endpoints: confirmed.endpoints })).emitted;
  } finally {
    if (!recorded) await undoIfSuperseded(ctx, kube);
  }
}

/**
 * Reads the production Service, checks the release is still promoting, and points the Service at
 * v2 conditionally on that read; a Service that changed in between is read and checked again.
 */
async function switchWhilePromoting(ctx: SwitchContext, kube: KubePorts, revision: number, port: number): Promise<SelectorChange | "moved-on"> {
  const { app, namespace } = ctx.release;
  for (let attempt = 0; attempt < 5; attempt++) {
    const current = await readProductionService(kube, namespace, app);
    if (!(await stillPromoting(ctx))) return "moved-on";
    try {
      return await pointProductionAt(kube, current, namespace, app, revision, port);
    } catch (err) {
      if (!(err instanceof ServiceChanged)) throw err;
      ctx.log.info("the production Service changed since it was read: reading it (and the release) again");
    }
  }
  throw new ConflictError(`the production Service ${namespace}/${app} kept changing during the switch`);
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
 * The switch did not record TrafficSwitched. If the release moved on meanwhile (an abort or a
 * deadline rolled it back) and production now points at its v2, put it back on v1 — the
 * switch-back handler may already have run and will not run again, nor will this handler.
 */
async function undoIfSuperseded(ctx: SwitchContext, kube: KubePorts): Promise<void> {
  const now = (await ctx.rt.store.get(ctx.release.releaseId))?.state;
  if (now === undefined || !["rolling_back", "rolled_back"].includes(now.phase)) return;
  const { releaseId, app, namespace } = ctx.release;
  const previous = now.previousRevision;
  const port = now.spec?.port;
  // A first release had nothing before: no production to put back. (A production Service this
  // switch created after the pod-manager's teardown selects nothing; it is not deleted here — the
  // traffic-switcher has no right to delete Services — and the app's next release points it.)
  if (previous === null || port === undefined) return;
  const change = await step("undo-switch", releaseId, () => ensureProductionService(kube, namespace, app, previous, port));
  ctx.log.warn({ phase: now.phase, change, previous }, "the release was rolled back during the switch: production put back on the previous revision");
}
