import type { StageDefinition } from "@baton/runtime";
import { onDeadlineExceeded } from "./handlers/on-deadline-exceeded.js";
import { onReleaseRequested } from "./handlers/on-release-requested.js";
import type { KubeClients } from "./kube.js";
import type { PlannerOptions } from "./options.js";

/** The planner stage: plans (or rejects) requested releases and fails those never planned in time. */
export function plannerStage(kube: KubeClients, opts: PlannerOptions): StageDefinition {
  return {
    name: "planner",
    handlers: {
      ReleaseRequested: (ctx) => onReleaseRequested(ctx, { ...kube, metrics: ctx.rt.metrics }, opts),
      DeadlineExceeded: (ctx) => onDeadlineExceeded(ctx),
    },
  };
}
