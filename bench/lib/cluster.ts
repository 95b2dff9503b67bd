import { spawn, type ChildProcess } from "node:child_process";
import { mkdtemp, readFile, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { AppsV1Api, CoreV1Api, KubeConfig } from "@kubernetes/client-node";
import { isTerminal, type ReleaseState } from "@baton/contracts";
import { submit, type IntakeReply } from "@baton/cli";
import { createLogger, serviceUrl, type Config, type OpenRuntime } from "@baton/runtime";
import { openTestRuntime, testConfig, type TestRuntime } from "@baton/runtime/testing";

// Baton as it runs in production, on this machine: kube-sim in one process and every replica of
// every stage in a process of its own (`baton serve <stage>`), on the local NATS and Redis with a
// prefix of its own. The benchmark process only submits releases and watches them end, so the
// figures include every network hop a real installation has.

const ROOT = resolve(import.meta.dirname, "../..");
// The services run compiled (`pnpm build`, as in the container image): no TypeScript loader in
// their start-up time or their memory.
const CLI = join(ROOT, "packages/cli/dist/main.js");
export const STAGE_NAMES = ["planner", "pod-manager", "validator", "traffic-switcher", "reaper"] as const;

export interface Proc {
  readonly name: string;
  readonly child: ChildProcess;
}

export interface Cluster {
  readonly config: Config;
  readonly rt: TestRuntime;
  readonly core: CoreV1Api;
  readonly apps: AppsV1Api;
  readonly services: readonly Proc[];
  release(spec: Record<string, unknown>): Promise<IntakeReply>;
  /** Resolves with each release's final state as it ends (core NATS subscription on terminal events). */
  ended(releaseId: string, timeoutMs?: number): Promise<ReleaseState>;
  productionUrl(app: string, namespace: string): Promise<string>;
  /** Peak resident set size (VmHWM) of every service process, MB. */
  peakRssMb(): Promise<Record<string, number>>;
  stop(): Promise<void>;
}

// BENCH_CPU_PROF=1 profiles every service process (`node --cpu-prof`): one .cpuprofile per
// process in bench/results/prof, written when it exits; `pnpm exec tsx bench/prof-summary.ts <file>` sums them up.
const PROF_DIR = join(ROOT, "bench/results/prof");
const profArgs = (name: string) =>
  process.env.BENCH_CPU_PROF === "1" && name !== "kube-sim" ? ["--cpu-prof", `--cpu-prof-dir=${PROF_DIR}`, `--cpu-prof-name=${name}-${Date.now()}.cpuprofile`] : [];

function spawnCli(name: string, args: string[], env: NodeJS.ProcessEnv): Proc {
  const child = spawn(process.execPath, [...profArgs(name), CLI, ...args], {
    cwd: ROOT,
    env: { ...process.env, ...env },
    stdio: ["ignore", "ignore", "pipe"],
  });
  let err = "";
  child.stderr?.on("data", (c: Buffer) => (err = (err + c.toString()).slice(-4000)));
  child.on("exit", (code, signal) => {
    if (code !== 0 && code !== null && signal === null) process.stderr.write(`${name} exited ${code}: ${err}\n`);
  });
  return { name, child };
}

async function waitForFile(path: string, timeoutMs: number): Promise<string> {
  const until = Date.now() + timeoutMs;
  for (;;) {
    const text = await readFile(path, "utf8").catch(() => "");
    if (text.includes("server:")) return text;
    if (Date.now() > until) throw new Error(`kube-sim did not write ${path} within ${timeoutMs} ms`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

export async function startCluster(opts: { replicas: number; env?: Record<string, string> }): Promise<Cluster> {
  const dir = await mkdtemp(join(tmpdir(), "baton-bench-"));
  const kubeconfig = join(dir, "kubeconfig");
  const sim = spawnCli("kube-sim", ["sim", "--kubeconfig", kubeconfig], {});
  const kcText = await waitForFile(kubeconfig, 30_000);
  const config = testConfig({ KUBECONFIG: kubeconfig, BATON_SERVICE_ADDRESS: "load-balancer", BATON_LOG_LEVEL: "warn" });
  const env: Record<string, string> = {
    ...Object.fromEntries(Object.entries(config).filter(([, v]) => typeof v === "string" || typeof v === "number").map(([k, v]) => [k, String(v)])),
    BATON_ALLOWED_NAMESPACES: "*",
    ...opts.env,
  };
  const rt = await openTestRuntime("bench", config, createLogger({ service: "bench", level: "silent" }));
  const services: Proc[] = [];
  for (let r = 0; r < opts.replicas; r++) {
    for (const stage of STAGE_NAMES) services.push(spawnCli(`${stage}-${r}`, ["serve", stage], env));
  }
  const kc = new KubeConfig();
  kc.loadFromString(kcText);
  const core = kc.makeApiClient(CoreV1Api);
  const apps = kc.makeApiClient(AppsV1Api);
  const waiters = new Map<string, (s: ReleaseState) => void>();
  const sub = rt.bus.nc.subscribe(`${config.BATON_PREFIX}.evt.*.*.*.*`, {
    callback: (_err, msg) => {
      const token = msg.subject.split(".")[2] ?? "";
      if (!["completed", "rolled_back", "failed", "rejected"].includes(token)) return;
      const releaseId = msg.subject.split(".").at(-1) ?? "";
      const wake = waiters.get(releaseId);
      if (wake) void terminalState(rt, releaseId).then((st) => st && wake(st));
    },
  });
  await waitForIntake(rt);
  await waitForConsumers(rt, opts.replicas);
  return {
    config,
    rt,
    core,
    apps,
    services,
    release: (spec) => submit(rt, spec, "bench"),
    ended(releaseId, timeoutMs = 120_000) {
      return new Promise<ReleaseState>((resolvePromise, reject) => {
        const timer = setTimeout(() => reject(new Error(`release ${releaseId} did not end within ${timeoutMs} ms`)), timeoutMs);
        const done = (st: ReleaseState) => {
          clearTimeout(timer);
          waiters.delete(releaseId);
          resolvePromise(st);
        };
        waiters.set(releaseId, done);
        void rt.store.get(releaseId).then((r) => r && isTerminal(r.state.phase) && done(r.state)); // ended before we asked
      });
    },
    async productionUrl(app, namespace) {
      return serviceUrl(core, config, namespace, app);
    },
    async peakRssMb() {
      const out: Record<string, number> = {};
      for (const p of services) {
        const status = await readFile(`/proc/${p.child.pid}/status`, "utf8").catch(() => "");
        const kb = Number(/VmHWM:\s+(\d+)/.exec(status)?.[1] ?? Number.NaN);
        out[p.name] = Math.round(kb / 102.4) / 10;
      }
      return out;
    },
    async stop() {
      sub.unsubscribe();
      const all = [...services, sim];
      for (const p of all) p.child.kill("SIGTERM");
      await Promise.all(all.map((p) => (p.child.exitCode !== null ? undefined : new Promise((r) => p.child.once("exit", r)))));
      await rt.cleanup();
      await rm(dir, { recursive: true, force: true });
    },
  };
}

/** The release's state once Redis has it terminal (a stage publishes an event, then records it). */
async function terminalState(rt: OpenRuntime, releaseId: string): Promise<ReleaseState | undefined> {
  for (let i = 0; i < 500; i++) {
    const st = (await rt.store.get(releaseId))?.state;
    if (st !== undefined && isTerminal(st.phase)) return st;
    await new Promise((r) => setTimeout(r, 2));
  }
  return undefined;
}

/**
 * Waits until every replica of every stage pulls from each of the stage's durable consumers, so a
 * measurement starts on a running cluster, not during the other processes' start-up (module
 * loading is ~1.5 s of CPU per process, which 10 processes on 2 cores take a while to get through).
 */
async function waitForConsumers(rt: OpenRuntime, replicas: number): Promise<void> {
  const until = Date.now() + 60_000;
  const stream = rt.bus.subjects.eventsStream;
  let seen = -1; // a stage creates its consumers one by one: the count must hold still too
  for (;;) {
    const consumers = await rt.bus.jsm.consumers.list(stream).next();
    const stages = new Set(consumers.map((c) => c.name.split("--")[0]));
    const pulling = consumers.every((c) => c.num_waiting >= replicas);
    if (pulling && consumers.length === seen && STAGE_NAMES.every((s) => stages.has(s))) return;
    seen = consumers.length;
    if (Date.now() > until) throw new Error(`not every stage replica pulls from ${stream} within 60 s`);
    await new Promise((r) => setTimeout(r, 250));
  }
}

/** Waits until a planner answers on the intake (the services take a few seconds to start). */
async function waitForIntake(rt: OpenRuntime): Promise<void> {
  const until = Date.now() + 60_000;
  for (;;) {
    try {
      await rt.bus.nc.request(rt.bus.subjects.intake, "{}", { timeout: 1000 });
      return;
    } catch (err) {
      if (Date.now() > until) throw new Error(`no planner answered on ${rt.bus.subjects.intake} within 60 s: ${(err as Error).message}`);
      await new Promise((r) => setTimeout(r, 250));
    }
  }
}
