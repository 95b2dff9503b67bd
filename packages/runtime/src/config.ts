import { z } from "zod";
import { DEFAULT_PREFIX, DNS1035_LABEL, DNS1123_LABEL, HOST_ENTRY, type SecretBinding } from "@baton/contracts";
import { ConfigError } from "./errors.js";

// Configuration is read once from the environment by a zod schema into a frozen object that is
// passed down; every bad variable is reported together.

const int = (min: number, max: number, def: number) => z.coerce.number().int().min(min).max(max).default(def);

const namespaces = z
  .string()
  .default("*")
  .transform((s) => (s.trim() === "*" ? ("*" as const) : s.split(",").map((x) => x.trim()).filter(Boolean)));

const list = (s: string) => s.split(",").map((x) => x.trim()).filter(Boolean);

/** "*" (any host), or a comma-separated list of "host", "host:port", "*.domain"; unset: none. */
const webhookHosts = z
  .string()
  .default("")
  .transform((s, ctx) => {
    if (s.trim() === "*") return "*" as const;
    const entries = list(s.toLowerCase());
    for (const e of entries.filter((x) => !HOST_ENTRY.test(x))) {
      ctx.addIssue({ code: "custom", message: `"${e}" is not a host, host:port or *.domain` });
    }
    return entries;
  });

/** Comma-separated "<namespace>/<app>:<secret>": releases of that app may use that Secret. */
const secretBindings = z
  .string()
  .default("")
  .transform((s, ctx) =>
    list(s).flatMap((entry): SecretBinding[] => {
      const [, namespace = "", app = "", secret = ""] = /^([^/]+)\/([^:]+):(.+)$/.exec(entry) ?? [];
      if (DNS1123_LABEL.test(namespace) && DNS1035_LABEL.test(app) && SECRET_NAME.test(secret)) return [{ namespace, app, secret }];
      ctx.addIssue({ code: "custom", message: `"${entry}" must be <namespace>/<app>:<secret>` });
      return [];
    }),
  );
const SECRET_NAME = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$/;

export const ConfigSchema = z.object({
  BATON_NATS_URL: z.string().default("nats://127.0.0.1:4222"),
  /** A NATS credentials file (one NATS user per stage in production; see deploy/nats). */
  BATON_NATS_CREDS: z.string().optional(),
  BATON_NATS_USER: z.string().optional(),
  BATON_NATS_PASSWORD: z.string().optional(),
  /** Prefix of the connection's reply subjects (default `_INBOX`): a per-team NATS user may read only its own replies. */
  BATON_NATS_INBOX_PREFIX: z.string().regex(/^[A-Za-z0-9_-]+$/, "must be one subject token (letters, digits, '_' or '-')").optional(),
  BATON_REDIS_URL: z.string().default("redis://127.0.0.1:6379"),
  /** Prefix of every subject, stream and Redis key: one installation per prefix. */
  BATON_PREFIX: z.string().regex(/^[a-z][a-z0-9_-]*$/, "must match [a-z][a-z0-9_-]*").default(DEFAULT_PREFIX),
  BATON_LOG_LEVEL: z.enum(["fatal", "error", "warn", "info", "debug", "trace", "silent"]).default("info"),
  BATON_LOG_PRETTY: z.stringbool().default(false),
  /** Port of /healthz, /readyz and /metrics; 0 picks a free port. */
  BATON_HTTP_PORT: int(0, 65_535, 8080),
  BATON_HTTP_HOST: z.string().default("0.0.0.0"),
  /** Namespaces releases may target: "*" (any but kube-system & co.) or a comma-separated list. */
  BATON_ALLOWED_NAMESPACES: namespaces,
  /**
   * Hosts post-release webhooks may call: "*" (any), or a comma-separated list of "host",
   * "host:port" and "*.domain". Unset: none (a spec with a webhook is rejected).
   */
  BATON_WEBHOOK_ALLOWED_HOSTS: webhookHosts,
  /**
   * Secrets a release may use beyond those labelled `baton.dev/app: <app>`: comma-separated
   * "<namespace>/<app>:<secret>" (for a Secret several apps share).
   */
  BATON_SECRET_BINDINGS: secretBindings,
  /**
   * Whether the planner also answers the plain `<prefix>.intake` (a release into any allowed
   * namespace) besides `<prefix>.intake.<namespace>`. Off in a multi-tenant install, where NATS
   * permissions on the namespaced subjects say who may release where.
   */
  BATON_PLAIN_INTAKE: z.stringbool().default(true),
  /** How the validator reaches a Service: cluster DNS (in-cluster), its ClusterIP, or its load-balancer address. */
  BATON_SERVICE_ADDRESS: z.enum(["cluster-dns", "cluster-ip", "load-balancer"]).default("cluster-dns"),
  BATON_CLUSTER_DOMAIN: z.string().default("cluster.local"),
  KUBECONFIG: z.string().optional(),
  /** Messages one replica of a stage handles at once (per event type). */
  BATON_CONCURRENCY: int(1, 10_000, 256),
  /**
   * Deliveries before a failing message goes to the dead-letter subject. A transient failure is
   * retried with backoff (0.5 s doubling to 60 s): 20 deliveries span about 13 minutes, cut short
   * by the deadline of the release's phase, which then moves the release on.
   */
  BATON_MAX_DELIVER: int(1, 1000, 20),
  BATON_ACK_WAIT_MS: int(1000, 3_600_000, 30_000),
  BATON_DEDUP_WINDOW_MS: int(1000, 7 * 86_400_000, 24 * 3_600_000),
  /**
   * How often a timer pump looks for timers added by other processes. A timer this process adds
   * wakes its own pump at once (and a pump sleeps until the next timer it knows of), so the poll
   * only bounds how late a timer is when the process that added it died before it fell due.
   */
  BATON_TIMER_POLL_MS: int(1, 10_000, 100),
  BATON_TIMER_LEASE_MS: int(100, 600_000, 10_000),
  /** Deadlines of the phases whose length the spec does not set (seconds). */
  BATON_DEADLINE_REQUESTED_S: int(1, 86_400, 120),
  BATON_DEADLINE_PROMOTING_S: int(1, 86_400, 120),
  BATON_DEADLINE_ROLLING_BACK_S: int(1, 86_400, 300),
  /** Margins over shutdown.delaySeconds (switched) and shutdown.gracePeriodSeconds (draining). */
  BATON_DEADLINE_SWITCHED_S: int(1, 86_400, 300),
  BATON_DEADLINE_DRAINING_S: int(1, 86_400, 300),
  /** Timeout of one Kubernetes API request (watches excepted): a call with no answer fails and is retried. */
  BATON_KUBE_TIMEOUT_MS: int(100, 600_000, 30_000),
  BATON_DEADLINE_FINALIZING_S: int(1, 86_400, 300),
  /** Margin over an analysis's own length (initial delay + interval × (count − 1 + consecutiveErrorLimit + inconclusiveLimit)), seconds. */
  BATON_DEADLINE_ANALYSIS_S: int(1, 86_400, 120),
  /**
   * The Prometheus analysis metrics query when their spec names no `prometheus.address` (the
   * installation's own: trusted, so not subject to BATON_WEBHOOK_ALLOWED_HOSTS). Unset: a metric
   * must name its address.
   */
  BATON_PROMETHEUS_ADDRESS: z.url({ protocol: /^https?$/, error: "must be an http or https URL" }).optional(),
  /** JetStream replicas of the event and dead-letter streams (3 in production, on NATS >= 2.12). */
  BATON_STREAM_REPLICAS: int(1, 5, 1),
  /**
   * Whether this process creates and updates the streams at start. Off in production, where a
   * one-off `baton provision` with an admin NATS user creates them and the stages' users need no
   * stream-management rights; a stage then only checks that they exist.
   */
  BATON_MANAGE_STREAMS: z.stringbool().default(true),
  /** How long the events (stream) and the state of an ended release (Redis) are kept. */
  BATON_RETENTION_DAYS: int(1, 3650, 30),
  /** How long the state of an ended release is kept in Redis, in seconds, when not BATON_RETENTION_DAYS. */
  BATON_STATE_RETENTION_S: z.coerce.number().int().min(1).max(3650 * 86_400).optional(),
  /** How often the planner prunes the release index and the per-app bookkeeping of expired states. */
  BATON_PRUNE_INTERVAL_S: int(1, 86_400, 300),
});

export type Config = Readonly<z.output<typeof ConfigSchema>>;

/** Reads and checks the environment; throws a ConfigError naming every bad variable. */
export function loadConfig(env: Record<string, string | undefined> = process.env): Config {
  const r = ConfigSchema.safeParse(env);
  if (!r.success) {
    throw new ConfigError(r.error.issues.map((i) => problem(String(i.path[0]), i.message, env[String(i.path[0])])));
  }
  return Object.freeze(r.data);
}

function problem(key: string, message: string, value: string | undefined): string {
  const shown = /URL|PASSWORD|CREDS/.test(key) ? "(hidden)" : JSON.stringify(value);
  return `${key}: ${message} (got ${shown})`;
}

/** A config for tests and tools: defaults plus overrides, checked the same way. */
export function configWith(overrides: Record<string, string | number | undefined>): Config {
  const env: Record<string, string | undefined> = {};
  for (const [k, v] of Object.entries(overrides)) env[k] = v === undefined ? undefined : String(v);
  return loadConfig(env);
}
