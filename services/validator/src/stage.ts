import type { StageDefinition } from "@baton/runtime";
import type { ValidatorDeps } from "./deps.js";
import { onAnalysisPhase, onAnalysisStarted, onMeasurementDue } from "./handlers/analysis.js";
import { onPodsLive } from "./handlers/on-pods-live.js";

/** The validator stage: test and warm-up traffic to v2 through the preview Service; analysis before and after the switch. */
export function validatorStage(deps: ValidatorDeps): StageDefinition {
  return {
    name: "validator",
    handlers: {
      PodsLive: onPodsLive(deps),
      ValidationPassed: onAnalysisPhase<"ValidationPassed">(),
      TrafficSwitched: onAnalysisPhase<"TrafficSwitched">(),
      AnalysisStarted: onAnalysisStarted(),
      MeasurementDue: onMeasurementDue(deps),
    },
  };
}
