import type { Config } from "@baton/runtime";

/** What the planner reads from the configuration. */
export interface PlannerOptions {
  /** Namespaces releases may target ("*": any but kube-system & co.). */
  readonly allowedNamespaces: Config["BATON_ALLOWED_NAMESPACES"];
}

export function plannerOptions(config: Config): PlannerOptions {
  return { allowedNamespaces: config.BATON_ALLOWED_NAMESPACES };
}
