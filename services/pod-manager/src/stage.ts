import type { StageDefinition } from "@baton/runtime";
import type { PodManagerDeps } from "./deps.js";
import { onDeadlineExceeded } from "./handlers/on-deadline-exceeded.js";
import { onReleasePlanned } from "./handlers/on-release-planned.js";
import { onRollback } from "./handlers/on-rollback.js";

/** The pod-manager stage: brings v2 up, reports when it is live or failed, tears it down on rollback. */
export function podManagerStage(deps: PodManagerDeps): StageDefinition {
  return {
    name: "pod-manager",
    handlers: {
      ReleasePlanned: onReleasePlanned(deps),
      DeadlineExceeded: onDeadlineExceeded(deps),
      PodsFailed: onRollback<"PodsFailed">(deps),
      ValidationFailed: onRollback<"ValidationFailed">(deps),
      AnalysisFailed: onRollback<"AnalysisFailed">(deps),
      AbortRequested: onRollback<"AbortRequested">(deps),
      TrafficSwitchedBack: onRollback<"TrafficSwitchedBack">(deps),
    },
  };
}
