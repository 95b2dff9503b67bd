import type { EventName } from "@baton/contracts";
import type { Handler } from "@baton/runtime";
import type { ReaperDeps } from "../deps.js";
import { complete, revisionOf, specOf } from "./complete.js";

// Production is on v2 for good: the release entered `switched` — on TrafficSwitched, or, when the
// spec asks for post-promotion analysis, on AnalysisPassed (or PromotionApproved of an inconclusive
// one) after `verifying`, so v1 is not told to shut down before the analysis passed and the delay
// counts from its end. A first release has no v1: it completes at once (post-release activities
// still run — they are this release's configuration; their payload says previousRevision null).
// Otherwise v1 keeps running for shutdown.delaySeconds (the fast-rollback window), then DrainDue.

type Entering = "TrafficSwitched" | "AnalysisPassed" | "PromotionApproved";

export function onSwitched<N extends Entering & EventName>(deps: ReaperDeps): Handler<N> {
  return async (ctx) => {
    if (ctx.state.phase !== "switched") {
      ctx.log.debug({ phase: ctx.state.phase }, "skipped: production is not on v2 for good yet");
      return;
    }
    const spec = specOf(ctx.state);
    const revision = revisionOf(ctx.state);
    const previous = ctx.state.previousRevision;
    if (previous === null) {
      ctx.log.info({ revision }, "no v1 (first live revision): nothing to shut down; completing");
      return complete(ctx, deps, { revision, previousRevision: null, forcedPods: 0 });
    }
    const inMs = spec.shutdown.delaySeconds * 1000;
    const added = await ctx.schedule("DrainDue", { revision: previous }, { inMs });
    const drainAt = new Date(ctx.rt.clock().getTime() + inMs).toISOString();
    if (added) ctx.log.info({ previousRevision: previous, drainAt }, `v1 keeps running ${spec.shutdown.delaySeconds}s for a fast rollback, then drains`);
    else ctx.log.info({ previousRevision: previous }, "skipped: DrainDue is already scheduled (or has fired)");
    ctx.progress({ shutdown: { state: "waiting", revision: previous, drainAt } });
  };
}
