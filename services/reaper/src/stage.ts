import type { StageDefinition } from "@baton/runtime";
import type { ReaperDeps } from "./deps.js";
import { onDeadlineExceeded } from "./handlers/on-deadline-exceeded.js";
import { onDrainDue } from "./handlers/on-drain-due.js";
import { onDrainStarted } from "./handlers/on-drain-started.js";
import { onShutdownDue } from "./handlers/on-shutdown-due.js";
import { onSwitched } from "./handlers/on-traffic-switched.js";

/** The reaper: shuts v1 down after the switch (delay, graceful drain, forced rest), runs post-release activities. */
export function reaperStage(deps: ReaperDeps): StageDefinition {
  return {
    name: "reaper",
    handlers: {
      TrafficSwitched: onSwitched<"TrafficSwitched">(deps),
      AnalysisPassed: onSwitched<"AnalysisPassed">(deps),
      PromotionApproved: onSwitched<"PromotionApproved">(deps),
      DrainDue: onDrainDue(deps),
      DrainStarted: onDrainStarted(),
      ShutdownDue: onShutdownDue(deps),
      DeadlineExceeded: onDeadlineExceeded(deps),
    },
  };
}
