import type { HandlerContext, Outcome } from "@baton/runtime";
import type { KubePorts } from "../kube.js";
import type { SwitcherOptions } from "../options.js";
import { switchBack } from "../switch-back.js";

/**
 * A missed promoting deadline rolls the release back; when production may already be on v2 the
 * state asks for a switch back (needsSwitchBack), which is this stage's job. Other deadlines
 * belong to other stages.
 */
export async function onDeadlineExceeded(ctx: HandlerContext<"DeadlineExceeded">, kube: KubePorts, opts: SwitcherOptions): Promise<Outcome | void> {
  if (!ctx.state.needsSwitchBack) return;
  ctx.log.warn({ phase: ctx.event.data.phase }, "deadline passed while production may be on the new revision: switching back");
  return switchBack(ctx, kube, opts);
}
