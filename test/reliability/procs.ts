import { spawn, type ChildProcess } from "node:child_process";
import { join, resolve } from "node:path";
import type { Config } from "@baton/runtime";
import { freePort, waitFor } from "@baton/runtime/testing";

// Stage processes as they run in production: one `baton serve <stage>` process each, configured
// by env only, killed by pid. Each gets its own health port so a test can ask it /healthz.

const ROOT = resolve(import.meta.dirname, "../..");
const CLI = join(ROOT, "packages/cli/src/main.ts");

export const STAGE_NAMES = ["planner", "pod-manager", "validator", "traffic-switcher", "reaper"] as const;
export type StageName = (typeof STAGE_NAMES)[number];

export interface StageProc {
  readonly stage: string;
  readonly pid: number;
  readonly httpPort: number;
  readonly child: ChildProcess;
  /** The last lines it printed (stdout and stderr), for failure messages. */
  output(): string;
  /** Sends the signal and waits for the exit. */
  kill(signal?: NodeJS.Signals): Promise<void>;
  alive(): boolean;
}

/** The config as the environment a `baton serve` process reads. */
export function envOf(config: Config, extra: Record<string, string> = {}): Record<string, string> {
  const env: Record<string, string> = {};
  for (const [k, v] of Object.entries(config)) {
    if (v === undefined) continue;
    env[k] = Array.isArray(v) ? v.join(",") : String(v);
  }
  return { ...env, ...extra };
}

/** Spawns `baton serve <stages…>` and resolves once its /healthz answers (stages and intake are up). */
export async function spawnStage(stages: readonly string[], env: Record<string, string>, timeoutMs = 45_000): Promise<StageProc> {
  const httpPort = await freePort();
  const child = spawn(process.execPath, ["--conditions=source", "--import", "tsx", CLI, "serve", ...stages], {
    cwd: ROOT,
    env: { ...process.env, ...env, BATON_HTTP_PORT: String(httpPort), BATON_HTTP_HOST: "127.0.0.1" },
    stdio: ["ignore", "pipe", "pipe"],
  });
  let tail = "";
  const keep = (c: Buffer) => (tail = (tail + c.toString()).slice(-8000));
  child.stdout?.on("data", keep);
  child.stderr?.on("data", keep);
  const exited = new Promise<void>((r) => child.once("exit", () => r()));
  const proc: StageProc = {
    stage: stages.join("+"),
    pid: child.pid ?? -1,
    httpPort,
    child,
    output: () => tail,
    alive: () => child.exitCode === null && child.signalCode === null,
    async kill(signal: NodeJS.Signals = "SIGKILL") {
      if (!proc.alive()) return;
      process.kill(proc.pid, signal);
      await exited;
    },
  };
  try {
    await waitFor(`baton serve ${proc.stage} to answer /healthz`, async () => {
      if (!proc.alive()) throw new Error(`exited early: ${tail}`);
      return (await healthz(proc)) === 200;
    }, timeoutMs, 100);
  } catch (err) {
    await proc.kill();
    throw err;
  }
  return proc;
}

/** The HTTP status of the process's /healthz, or 0 when it does not answer. */
export async function healthz(proc: StageProc): Promise<number> {
  try {
    const res = await fetch(`http://127.0.0.1:${proc.httpPort}/healthz`, { signal: AbortSignal.timeout(2000) });
    await res.text();
    return res.status;
  } catch {
    return 0;
  }
}
