import type { Config, ServiceModule, ServiceParts } from "@baton/runtime";
import { CliError } from "./errors.js";

// The five stages, in pipeline order, and the two services beside them (the console and the
// notifier). Only the CLI wires them together (`baton dev`). Each package is imported when its
// service is created, not when the CLI starts: `baton serve reaper` loads the reaper and nothing of
// the others (their modules, pg, their clients).

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

/** The console and the notifier: they follow the stream and run no timer pump of their own. */
export const EXTRAS: Readonly<Record<string, ServiceModule>> = {
  console: lazy("console", async () => (await import("@baton/console")).consoleService()),
  notifier: lazy("notifier", async () => (await import("@baton/notifier")).notifierService()),
};

export function stagesNamed(names: readonly string[]): ServiceModule[] {
  const all: Record<string, ServiceModule> = { ...STAGES, ...EXTRAS };
  const unknown = names.filter((n) => !(n in all));
  if (unknown.length > 0) throw new CliError(`unknown service ${unknown.join(", ")}: choose from ${Object.keys(all).join(", ")}`);
  return names.map((n) => all[n] as ServiceModule);
}
