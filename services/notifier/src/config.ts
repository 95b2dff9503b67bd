import { readFileSync } from "node:fs";
import { parse as parseYaml } from "yaml";
import { z } from "zod";
import { ConfigError } from "@baton/runtime";
import { TRIGGER_IDS } from "./triggers.js";

// The notifier's configuration: where notifications go (targets), who wants which (subscriptions,
// per namespace and app), and message templates; read once from BATON_NOTIFIER_CONFIG (a ConfigMap).
// A target's URL and headers may name environment variables instead (from a Secret): a Slack
// incoming-webhook URL is itself a credential. Targets are operator configuration, not part of a
// release spec, so they are trusted: the post-release webhook host allow-list does not apply.

const NAME = z.string().regex(/^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/, "must be a DNS-1123 label");
const TRIGGER = z.string().refine((t) => TRIGGER_IDS.includes(t), `must be one of ${TRIGGER_IDS.join(", ")}`);

const Target = z
  .strictObject({
    name: NAME,
    /** slack: a Slack-compatible incoming webhook ({ text }); webhook: JSON describing the release. */
    kind: z.enum(["slack", "webhook"]),
    url: z.url().optional(),
    /** The environment variable holding the URL (a Secret's key). */
    urlFromEnv: z.string().regex(/^[A-Z_][A-Z0-9_]*$/, "must be an environment variable name").optional(),
    headers: z.record(z.string(), z.string()).default({}),
    /** Header → environment variable holding its value (an Authorization header from a Secret). */
    headersFromEnv: z.record(z.string(), z.string().regex(/^[A-Z_][A-Z0-9_]*$/)).default({}),
  })
  .refine((t) => (t.url === undefined) !== (t.urlFromEnv === undefined), "give exactly one of url and urlFromEnv");

const Subscription = z.strictObject({
  targets: z.array(NAME).min(1),
  /** Namespaces ("*" for all). */
  namespaces: z.array(z.string().min(1)).min(1),
  /** Apps (empty: every app of those namespaces). */
  apps: z.array(z.string().min(1)).default([]),
  triggers: z.array(TRIGGER).min(1),
});

const File = z.strictObject({
  /** Links in messages point here (else BATON_CONSOLE_URL). */
  consoleUrl: z.url().optional(),
  targets: z.array(Target).default([]),
  subscriptions: z.array(Subscription).default([]),
  /** Trigger → template overriding the default message. */
  templates: z.record(TRIGGER, z.string().min(1).max(4000)).default({}),
});

const Env = z.object({
  BATON_NOTIFIER_CONFIG: z.string().min(1, "required: the notifier's targets and subscriptions (YAML)"),
  BATON_CONSOLE_URL: z.url().optional(),
  /** Deliveries of one notification before it is parked in the dead-letter stream (backoff 0.25 s doubling, capped at 30 s). */
  BATON_NOTIFIER_MAX_ATTEMPTS: z.coerce.number().int().min(1).max(100).default(10),
  BATON_NOTIFIER_TIMEOUT_MS: z.coerce.number().int().min(100).max(60_000).default(5000),
});

export interface ResolvedTarget {
  readonly name: string;
  readonly kind: "slack" | "webhook";
  readonly url: string;
  readonly headers: Readonly<Record<string, string>>;
}

export interface NotifierConfig {
  readonly consoleUrl: string | null;
  readonly targets: ReadonlyMap<string, ResolvedTarget>;
  readonly subscriptions: readonly z.infer<typeof Subscription>[];
  readonly templates: Readonly<Record<string, string>>;
  readonly maxAttempts: number;
  readonly timeoutMs: number;
}

export function loadNotifierConfig(env: Record<string, string | undefined> = process.env): NotifierConfig {
  const e = Env.safeParse(env);
  if (!e.success) throw new ConfigError(e.error.issues.map((i) => `${String(i.path[0])}: ${i.message}`));
  const problems: string[] = [];
  let raw: unknown;
  try {
    raw = parseYaml(readFileSync(e.data.BATON_NOTIFIER_CONFIG, "utf8"));
  } catch (err) {
    throw new ConfigError([`BATON_NOTIFIER_CONFIG: cannot read ${e.data.BATON_NOTIFIER_CONFIG}: ${(err as Error).message}`]);
  }
  const f = File.safeParse(raw ?? {});
  if (!f.success) throw new ConfigError(f.error.issues.map((i) => `BATON_NOTIFIER_CONFIG ${i.path.join(".") || "(file)"}: ${i.message}`));
  const targets = new Map<string, ResolvedTarget>();
  for (const [i, t] of f.data.targets.entries()) {
    if (targets.has(t.name)) problems.push(`BATON_NOTIFIER_CONFIG targets.${i}.name: ${t.name} is named twice`);
    const url = t.url ?? (t.urlFromEnv === undefined ? undefined : env[t.urlFromEnv]);
    if (url === undefined || url === "") problems.push(`BATON_NOTIFIER_CONFIG targets.${i}.urlFromEnv: ${t.urlFromEnv} is not set`);
    const headers: Record<string, string> = { ...t.headers };
    for (const [h, v] of Object.entries(t.headersFromEnv)) {
      const value = env[v];
      if (value === undefined || value === "") problems.push(`BATON_NOTIFIER_CONFIG targets.${i}.headersFromEnv.${h}: ${v} is not set`);
      else headers[h] = value;
    }
    targets.set(t.name, { name: t.name, kind: t.kind, url: url ?? "", headers });
  }
  for (const [i, s] of f.data.subscriptions.entries()) {
    for (const name of s.targets) if (!targets.has(name)) problems.push(`BATON_NOTIFIER_CONFIG subscriptions.${i}.targets: no target named ${name}`);
  }
  if (problems.length > 0) throw new ConfigError(problems);
  return Object.freeze({
    consoleUrl: f.data.consoleUrl ?? e.data.BATON_CONSOLE_URL ?? null,
    targets,
    subscriptions: f.data.subscriptions,
    templates: f.data.templates,
    maxAttempts: e.data.BATON_NOTIFIER_MAX_ATTEMPTS,
    timeoutMs: e.data.BATON_NOTIFIER_TIMEOUT_MS,
  });
}
