import type { HandlerContext, Outcome } from "@baton/runtime";
import type { KubePorts } from "../kube.js";
import type { SwitcherOptions } from "../options.js";
import { switchBack } from "../switch-back.js";

/**
 * An abort while production may be on v2 (switched, or promoting with a v1) moves production
 * back to v1 first; an abort before that is the pod-manager's alone (it tears v2 down).
 */
export async function onAbortRequested(ctx: HandlerContext<"AbortRequested">, kube: KubePorts, opts: SwitcherOptions): Promise<Outcome | void> {
  if (!ctx.state.needsSwitchBack) {
    ctx.log.debug({ phase: ctx.state.phase }, "skipped: production never left the previous revision");
    return;
  }
  return switchBack(ctx, kube, opts);
}
