import type { HandlerContext, Outcome } from "@baton/runtime";
import type { KubePorts } from "../kube.js";
import type { SwitcherOptions } from "../options.js";
import { switchTraffic } from "../switch.js";

/** Validation passed: with automatic promotion the release is promoting, so switch now. */
export async function onValidationPassed(ctx: HandlerContext<"ValidationPassed">, kube: KubePorts, opts: SwitcherOptions): Promise<Outcome | void> {
  if (ctx.state.phase !== "promoting") {
    ctx.log.info({ phase: ctx.state.phase }, "skipped: promotion is manual, waiting for PromotionApproved");
    return;
  }
  return switchTraffic(ctx, kube, opts);
}
