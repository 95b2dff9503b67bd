import type { EventName } from "@baton/contracts";
import { ack, step, type Handler, type HandlerContext, type Outcome } from "@baton/runtime";
import type { PodManagerDeps } from "../deps.js";
import { teardownRevision } from "../steps/teardown.js";
import { targetOf } from "./context.js";

// Rollback: tear v2 down once production does not depend on it. Runs on PodsFailed,
// ValidationFailed, AbortRequested, the deadlines that roll back, and TrafficSwitchedBack — but only
// when the release is rolling back and production is not (or no longer) on v2; otherwise the
// traffic-switcher switches production back first and its TrafficSwitchedBack brings us here again.
//   1. teardownRevision   delete `<app>-<rev>`, the preview Service selecting it, and on a first
//                         release the production Service Baton pointed at it
//   2. emit ReleaseRolledBack with the release's reason and every failure

export function onRollback<N extends EventName>(deps: PodManagerDeps): Handler<N> {
  return (ctx) => rollBack(deps, ctx);
}

export async function rollBack<N extends EventName>(deps: PodManagerDeps, ctx: HandlerContext<N>): Promise<Outcome> {
  const { state } = ctx;
  if (state.phase !== "rolling_back") {
    ctx.log.info({ phase: state.phase }, "skipped rollback: the release is not rolling back");
    return ack;
  }
  if (state.needsSwitchBack) {
    ctx.log.info("skipped rollback for now: production is on v2; the traffic-switcher switches it back first");
    return ack;
  }
  const { t } = targetOf(ctx);
  const done = await step("teardownRevision", t.releaseId, () => teardownRevision(deps, t, state.previousRevision === null, ctx.log));
  ctx.log.info({ ...done }, "v2 torn down");
  await ctx.emit("ReleaseRolledBack", {
    revision: t.revision,
    reason: state.outcome?.reason ?? "rolled back",
    failures: [...(state.outcome?.failures ?? [])],
  });
  return ack;
}
