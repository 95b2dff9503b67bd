import type { HandlerContext, Outcome } from "@baton/runtime";
import type { KubePorts } from "../kube.js";
import type { SwitcherOptions } from "../options.js";
import { switchTraffic } from "../switch.js";

/** Manual promotion approved (`baton promote`): switch now. */
export async function onPromotionApproved(ctx: HandlerContext<"PromotionApproved">, kube: KubePorts, opts: SwitcherOptions): Promise<Outcome | void> {
  ctx.log.info({ by: ctx.event.data.by }, "promotion approved");
  return switchTraffic(ctx, kube, opts);
}
