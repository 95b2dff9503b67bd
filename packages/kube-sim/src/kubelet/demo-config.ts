/** The demo app's behaviour, read from its container's env (DESIGN.md, "The demo app"). */
import type { EnvVar } from "../kinds.js";

export interface DemoConfig {
  /** What `GET /version` answers: DEMO_VERSION, else the image tag. */
  readonly version: string;
  readonly startDelayMs: number;
  readonly neverReady: boolean;
  readonly errorRate: number;
  readonly latencyMs: number;
  readonly drainMs: number;
  readonly ignoreSigterm: boolean;
  /** Serving this many requests (0: never) makes the app degrade: its error rate becomes degradedErrorRate. */
  readonly degradeAfterRequests: number;
  /** This long after start (0: never), the app degrades likewise. */
  readonly degradeAfterMs: number;
  readonly degradedErrorRate: number;
}

export type DemoConfigResult = { ok: true; config: DemoConfig; ignored: string[] } | { ok: false; message: string };

/** Plain values of a container's env; `valueFrom` entries are listed as ignored. */
export function envValues(env: EnvVar[] | undefined): { values: Map<string, string>; ignored: string[] } {
  const values = new Map<string, string>();
  const ignored: string[] = [];
  for (const e of env ?? []) {
    if (typeof e?.name !== "string") continue;
    if (e.value !== undefined) values.set(e.name, String(e.value));
    else if (e.valueFrom !== undefined) ignored.push(e.name);
    else values.set(e.name, "");
  }
  return { values, ignored };
}

function number(values: Map<string, string>, name: string, max: number, errors: string[]): number {
  const raw = values.get(name);
  if (raw === undefined || raw.trim() === "") return 0;
  const n = Number(raw);
  if (!Number.isFinite(n) || n < 0 || n > max) errors.push(`${name} must be a number from 0 to ${max}, got "${raw}"`);
  return Number.isFinite(n) ? Math.min(Math.max(n, 0), max) : 0;
}

function flag(values: Map<string, string>, name: string, errors: string[]): boolean {
  const raw = values.get(name)?.trim().toLowerCase();
  if (raw === undefined || raw === "" || raw === "false" || raw === "0") return false;
  if (raw === "true" || raw === "1") return true;
  errors.push(`${name} must be "true" or "false", got "${values.get(name) ?? ""}"`);
  return false;
}

/** The config of a demo container, or the message of why its env is unusable (the container then does not start). */
export function demoConfig(tag: string, env: EnvVar[] | undefined): DemoConfigResult {
  const { values, ignored } = envValues(env);
  const errors: string[] = [];
  const day = 86_400_000;
  const config: DemoConfig = {
    version: values.get("DEMO_VERSION") || tag,
    startDelayMs: number(values, "DEMO_START_DELAY_MS", day, errors),
    neverReady: flag(values, "DEMO_NEVER_READY", errors),
    errorRate: number(values, "DEMO_ERROR_RATE", 1, errors),
    latencyMs: number(values, "DEMO_LATENCY_MS", day, errors),
    drainMs: number(values, "DEMO_DRAIN_MS", day, errors),
    ignoreSigterm: flag(values, "DEMO_IGNORE_SIGTERM", errors),
    degradeAfterRequests: number(values, "DEMO_DEGRADE_AFTER_REQUESTS", 1e12, errors),
    degradeAfterMs: number(values, "DEMO_DEGRADE_AFTER_MS", day, errors),
    degradedErrorRate: values.has("DEMO_DEGRADED_ERROR_RATE") && values.get("DEMO_DEGRADED_ERROR_RATE")?.trim() !== "" ? number(values, "DEMO_DEGRADED_ERROR_RATE", 1, errors) : 1,
  };
  if (errors.length > 0) return { ok: false, message: errors.join("; ") };
  return { ok: true, config, ignored };
}
