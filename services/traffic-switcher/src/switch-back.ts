import { ENDED, failIfNotOwned, retry, step, type HandlerContext, type Outcome } from "@baton/runtime";
import type { KubePorts } from "./kube.js";
import type { SwitcherOptions } from "./options.js";
import { confirmSwitch } from "./steps/confirm-switch.js";
import { ensurePreviousReady } from "./steps/ensure-previous-ready.js";
import { SWITCHED_BACK_BY, ensureProductionService } from "./steps/switch-selector.js";

type SwitchBackContext = HandlerContext<"AbortRequested"> | HandlerContext<"DeadlineExceeded"> | HandlerContext<"AnalysisFailed">;

const CAUSE = { AbortRequested: "abort", DeadlineExceeded: "deadline", AnalysisFailed: "analysis" } as const;

/**
 * The switch back (an abort after the switch while v1 still runs, a failed post-promotion analysis,
 * or the deadline of promoting, verifying or an inconclusive analysis after the switch): v1
 * still there and ready? → point production back at v1 → confirm only v1 serves →
 * TrafficSwitchedBack (the pod-manager then tears v2 down). Only when the state says so.
 */
export async function switchBack(ctx: SwitchBackContext, kube: KubePorts, opts: SwitcherOptions): Promise<Outcome | void> {
  const { releaseId, app, namespace } = ctx.release;
  const { revision, previousRevision: previous, spec, needsSwitchBack } = ctx.state;
  if (!needsSwitchBack || previous === null || revision === null || spec === null) return;

  const left = `production was not switched back (it stays on revision ${revision})`;
  const v1 = await failIfNotOwned(ctx, "traffic-switcher", left, () =>
    step("ensure-previous-ready", releaseId, () => ensurePreviousReady(kube, namespace, app, previous, spec.replicas, spec.liveThreshold)),
  );
  if (v1 === ENDED) return;
  if (v1.kind === "gone") {
    const cause = `cannot switch production back: Deployment ${v1.deployment} of revision ${previous} is gone; production stays on revision ${revision}`;
    ctx.log.error({ previous }, cause);
    await ctx.emit("ReleaseFailed", { stage: "traffic-switcher", cause });
    return;
  }
  if (v1.scaledUp) ctx.log.warn({ previous, replicas: spec.replicas }, "revision to switch back to was scaled to zero: scaled it back up");
  if (v1.ready < v1.needed) {
    const why = `only ${v1.ready} of ${v1.needed} needed pods of revision ${previous} are ready to take production back`;
    ctx.log.info({ ready: v1.ready, needed: v1.needed }, `holding back the switch back: ${why}`);
    return retry(why, opts.holdBackMs(ctx.attempt));
  }

  // Marked even when production already selects v1: a switch to v2 that read the Service before
  // this (its "still promoting?" check passed just before the abort) then fails its precondition.
  const mark = { [SWITCHED_BACK_BY]: releaseId };
  const change = await failIfNotOwned(ctx, "traffic-switcher", left, () =>
    step("switch-selector-back", releaseId, () => ensureProductionService(kube, namespace, app, previous, spec.port, mark)),
  );
  if (change === ENDED) return;
  ctx.log.info({ change, previous }, `production Service ${change === "unchanged" || change === "marked" ? "already selects" : "switched back to"} revision ${previous}`);

  const confirmed = await step("confirm-switch-back", releaseId, () =>
    confirmSwitch(kube, namespace, app, previous, v1.needed, opts, ctx.signal),
  );
  if (!confirmed.ok) {
    const why = `production EndpointSlices list ${confirmed.ofRevision} ready pods of revision ${previous} (need ${confirmed.needed}) and ${confirmed.others} of others`;
    ctx.log.warn({ ...confirmed }, `switch back not confirmed yet: ${why}`);
    return retry(why, opts.holdBackMs(ctx.attempt));
  }
  const r = await ctx.emit("TrafficSwitchedBack", { from: revision, to: previous, endpoints: confirmed.endpoints });
  if (r.emitted) ctx.rt.metrics.switchBacks.inc({ cause: CAUSE[ctx.event.name] });
}
