import type { StageDefinition } from "@baton/runtime";
import { onAbortRequested } from "./handlers/on-abort-requested.js";
import { onAnalysisFailed, onAnalysisPassed } from "./handlers/on-analysis.js";
import { onDeadlineExceeded } from "./handlers/on-deadline-exceeded.js";
import { onPromotionApproved } from "./handlers/on-promotion-approved.js";
import { onValidationPassed } from "./handlers/on-validation-passed.js";
import type { KubeClients, KubePorts } from "./kube.js";
import { switcherOptions, type SwitcherOptions } from "./options.js";

/** The traffic-switcher stage: switches production to v2 when it is promoted, and back to v1 when asked. */
export function trafficSwitcherStage(kube: KubeClients, options: Partial<SwitcherOptions> = {}): StageDefinition {
  const opts = switcherOptions(options);
  const ports = (metrics: KubePorts["metrics"]): KubePorts => ({ ...kube, metrics });
  return {
    name: "traffic-switcher",
    handlers: {
      ValidationPassed: (ctx) => onValidationPassed(ctx, ports(ctx.rt.metrics), opts),
      PromotionApproved: (ctx) => onPromotionApproved(ctx, ports(ctx.rt.metrics), opts),
      AnalysisPassed: (ctx) => onAnalysisPassed(ctx, ports(ctx.rt.metrics), opts),
      AnalysisFailed: (ctx) => onAnalysisFailed(ctx, ports(ctx.rt.metrics), opts),
      AbortRequested: (ctx) => onAbortRequested(ctx, ports(ctx.rt.metrics), opts),
      DeadlineExceeded: (ctx) => onDeadlineExceeded(ctx, ports(ctx.rt.metrics), opts),
    },
  };
}
