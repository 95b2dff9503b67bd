import type { Config } from "@baton/runtime";

/** What the planner reads from the configuration. */
export interface PlannerOptions {
  /** Namespaces releases may target ("*": any but kube-system & co.). */
  readonly allowedNamespaces: Config["BATON_ALLOWED_NAMESPACES"];
  /** Hosts post-release webhooks may call ("*": any; empty: none). */
  readonly webhookHosts: Config["BATON_WEBHOOK_ALLOWED_HOSTS"];
  /** Secrets granted to apps beyond their `baton.dev/app` label. */
  readonly secretBindings: Config["BATON_SECRET_BINDINGS"];
  /** The installation's Prometheus (analysis metrics that name none query it); undefined: none. */
  readonly prometheusAddress?: string;
  /** Whether the plain intake subject (any namespace) is answered, besides `<prefix>.intake.<namespace>`. */
  readonly plainIntake: boolean;
}

export function plannerOptions(config: Config): PlannerOptions {
  return {
    allowedNamespaces: config.BATON_ALLOWED_NAMESPACES,
    webhookHosts: config.BATON_WEBHOOK_ALLOWED_HOSTS,
    secretBindings: config.BATON_SECRET_BINDINGS,
    plainIntake: config.BATON_PLAIN_INTAKE,
    ...(config.BATON_PROMETHEUS_ADDRESS === undefined ? {} : { prometheusAddress: config.BATON_PROMETHEUS_ADDRESS }),
  };
}
