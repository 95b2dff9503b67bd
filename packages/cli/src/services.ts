import type { Config, ServiceModule, ServiceParts } from "@baton/runtime";
import { CliError } from "./errors.js";

// The five stages, in pipeline order. Only the CLI wires them together (`baton dev`). Each stage's
// package is imported when the stage is created, not when the CLI starts: `baton serve reaper`
// loads the reaper and nothing of the four others (their modules, pg, their clients).

const load = {
  planner: async () => (await import("@baton/planner")).plannerService,
  "pod-manager": async () => (await import("@baton/pod-manager")).podManagerService,
  validator: async () => (await import("@baton/validator")).validatorService,
  "traffic-switcher": async () => (await import("@baton/traffic-switcher")).trafficSwitcherService,
  reaper: async () => (await import("@baton/reaper")).reaperService,
} satisfies Record<string, () => Promise<ServiceModule>>;

function lazy(name: string, get: () => Promise<ServiceModule>): ServiceModule {
  return {
    name,
    async create(config: Config): Promise<ServiceParts> {
      return (await get()).create(config);
    },
  };
}

export const STAGES: Readonly<Record<string, ServiceModule>> = Object.fromEntries(Object.entries(load).map(([name, get]) => [name, lazy(name, get)]));

export function stagesNamed(names: readonly string[]): ServiceModule[] {
  const unknown = names.filter((n) => !(n in STAGES));
  if (unknown.length > 0) throw new CliError(`unknown stage ${unknown.join(", ")}: choose from ${Object.keys(STAGES).join(", ")}`);
  return names.map((n) => STAGES[n] as ServiceModule);
}
