import type { HandlerContext, Outcome } from "@baton/runtime";
import type { KubePorts } from "../kube.js";
import type { SwitcherOptions } from "../options.js";
import { switchTraffic } from "../switch.js";

/**
 * Manual promotion approved (`baton promote`), or an inconclusive pre-promotion analysis approved:
 * switch now. Approving an inconclusive analysis after the switch keeps production where it is (the
 * reaper lets v1 go).
 */
export async function onPromotionApproved(ctx: HandlerContext<"PromotionApproved">, kube: KubePorts, opts: SwitcherOptions): Promise<Outcome | void> {
  ctx.log.info({ by: ctx.event.data.by }, "promotion approved");
  if (ctx.state.phase !== "promoting") {
    ctx.log.info({ phase: ctx.state.phase }, "skipped: production has already moved to this revision");
    return;
  }
  return switchTraffic(ctx, kube, opts);
}
