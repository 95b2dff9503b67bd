import { plannerService } from "@baton/planner";
import { podManagerService } from "@baton/pod-manager";
import { reaperService } from "@baton/reaper";
import { trafficSwitcherService } from "@baton/traffic-switcher";
import { validatorService } from "@baton/validator";
import type { ServiceModule } from "@baton/runtime";
import { CliError } from "./errors.js";

/** The five stages, in pipeline order. Only the CLI wires them together (`baton dev`). */
export const STAGES: Readonly<Record<string, ServiceModule>> = {
  planner: plannerService,
  "pod-manager": podManagerService,
  validator: validatorService,
  "traffic-switcher": trafficSwitcherService,
  reaper: reaperService,
};

export function stagesNamed(names: readonly string[]): ServiceModule[] {
  const unknown = names.filter((n) => !(n in STAGES));
  if (unknown.length > 0) throw new CliError(`unknown stage ${unknown.join(", ")}: choose from ${Object.keys(STAGES).join(", ")}`);
  return names.map((n) => STAGES[n] as ServiceModule);
}
