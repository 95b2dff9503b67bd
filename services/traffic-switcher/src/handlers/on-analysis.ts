import type { HandlerContext, Outcome } from "@baton/runtime";
import type { KubePorts } from "../kube.js";
import type { SwitcherOptions } from "../options.js";
import { switchTraffic } from "../switch.js";
import { switchBack } from "../switch-back.js";

/** The pre-promotion analysis passed: with automatic promotion the release is promoting, so switch now. */
export async function onAnalysisPassed(ctx: HandlerContext<"AnalysisPassed">, kube: KubePorts, opts: SwitcherOptions): Promise<Outcome | void> {
  if (ctx.state.phase !== "promoting") {
    ctx.log.info({ phase: ctx.state.phase }, "skipped: not promoting (manual promotion waits, or the analysis ran after the switch)");
    return;
  }
  return switchTraffic(ctx, kube, opts);
}

/**
 * The post-promotion analysis failed: production goes back to v1 (still up: it was never told to
 * shut down), then the pod-manager tears v2 down. A pre-promotion failure is the pod-manager's alone.
 */
export async function onAnalysisFailed(ctx: HandlerContext<"AnalysisFailed">, kube: KubePorts, opts: SwitcherOptions): Promise<Outcome | void> {
  if (!ctx.state.needsSwitchBack) {
    ctx.log.debug({ phase: ctx.event.data.phase }, "skipped: production never left the previous revision");
    return;
  }
  ctx.log.warn({ reason: ctx.event.data.reason }, "post-promotion analysis failed: switching production back");
  return switchBack(ctx, kube, opts);
}
