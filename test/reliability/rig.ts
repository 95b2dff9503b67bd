import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { AppsV1Api, CoreV1Api, KubeConfig } from "@kubernetes/client-node";
import { isTerminal, type AnyEvent, type Phase, type ReleaseState } from "@baton/contracts";
import { submit, type IntakeReply } from "@baton/cli";
import { startKubeSim, type AuditEntry, type KubeSim } from "@baton/kube-sim";
import { createLogger, type Config } from "@baton/runtime";
import { openTestRuntime, testConfig, waitFor, type TestRuntime } from "@baton/runtime/testing";
import { envOf, spawnStage, STAGE_NAMES, type StageProc } from "./procs.js";

// The reliability rig: kube-sim in the test process (so its audit of API writes is at hand), each
// stage in its own `baton serve` process that the test may kill -9 and start again, and an
// observer runtime that submits releases and reads Redis and the stream.

/**
 * The apps' container port. Not 8080: kube-sim binds each pod on its own 127.1.x.y address, and a
 * process listening on 0.0.0.0:8080 on this machine (a `baton dev` with the default health port)
 * makes every such bind fail with EADDRINUSE.
 */
export const POD_PORT = 28_080;

/** Waiting on a release's stored state: until it ends, or until it reaches a phase (failing at once if it ends elsewhere). */
export function releaseWaits(state: (id: string) => Promise<ReleaseState | undefined>) {
  return {
    waitForEnd: (id: string, timeoutMs = 40_000): Promise<ReleaseState> =>
      waitFor(`release ${id} to end`, async () => {
        const s = await state(id);
        return s !== undefined && isTerminal(s.phase) ? s : undefined;
      }, timeoutMs, 25),
    waitForPhase: (id: string, phase: Phase, timeoutMs = 30_000): Promise<ReleaseState> =>
      waitFor(`release ${id} to reach ${phase}`, async () => {
        const s = await state(id);
        if (s !== undefined && isTerminal(s.phase) && s.phase !== phase) throw new Error(`release ${id} ended ${s.phase} (${s.outcome?.reason}) instead of reaching ${phase}`);
        return s?.phase === phase ? s : undefined;
      }, timeoutMs, 10),
  };
}

export interface RigOptions {
  /** Which stage processes to start (default: the five, one process each). */
  readonly stages?: readonly string[];
  /** Config overrides (e.g. the NATS and Redis of a test that restarts them). */
  readonly overrides?: Record<string, string | number>;
}

export interface Rig {
  readonly sim: KubeSim;
  readonly config: Config;
  readonly env: Record<string, string>;
  readonly rt: TestRuntime;
  readonly core: CoreV1Api;
  readonly apps: AppsV1Api;
  readonly procs: Map<string, StageProc>;
  /** Starts (or starts again) the process of a stage. */
  start(stage: string): Promise<StageProc>;
  /** kill -9 of the stage's process, waiting for it to be gone. */
  kill(stage: string): Promise<void>;
  release(spec: Record<string, unknown>): Promise<IntakeReply>;
  releaseOk(spec: Record<string, unknown>): Promise<string>;
  state(releaseId: string): Promise<ReleaseState | undefined>;
  waitForEnd(releaseId: string, timeoutMs?: number): Promise<ReleaseState>;
  waitForPhase(releaseId: string, phase: Phase, timeoutMs?: number): Promise<ReleaseState>;
  events(releaseId: string): Promise<AnyEvent[]>;
  /** Successful API writes made by Baton (not kube-sim's own controllers). */
  writes(): AuditEntry[];
  stop(): Promise<void>;
}

export async function startRig(opts: RigOptions = {}): Promise<Rig> {
  const sim = await startKubeSim();
  const dir = await mkdtemp(join(tmpdir(), "baton-rel-"));
  const kubeconfig = join(dir, "kubeconfig");
  await writeFile(kubeconfig, sim.kubeconfig());
  const config = testConfig({
    KUBECONFIG: kubeconfig,
    BATON_SERVICE_ADDRESS: "load-balancer",
    BATON_LOG_LEVEL: "warn",
    BATON_TIMER_POLL_MS: 10,
    BATON_ACK_WAIT_MS: 2000,
    ...opts.overrides,
  });
  const env = envOf(config);
  const rt = await openTestRuntime("reliability", config, createLogger({ service: "observer", level: "silent" }));
  const kc = new KubeConfig();
  kc.loadFromString(sim.kubeconfig());
  const procs = new Map<string, StageProc>();
  const state = async (id: string) => (await rt.store.get(id))?.state;
  const waits = releaseWaits(state);
  const rig: Rig = {
    sim,
    config,
    env,
    rt,
    core: kc.makeApiClient(CoreV1Api),
    apps: kc.makeApiClient(AppsV1Api),
    procs,
    async start(stage) {
      const p = await spawnStage(stage.split("+"), env);
      procs.set(stage, p);
      return p;
    },
    async kill(stage) {
      await procs.get(stage)?.kill("SIGKILL");
    },
    release: (spec) => submit(rt, { namespace: "shop", app: "web", port: POD_PORT, ...spec }, "reliability"),
    async releaseOk(spec) {
      const reply = await rig.release(spec);
      if (!reply.ok) throw new Error(`release rejected: ${JSON.stringify(reply)}`);
      return reply.releaseId;
    },
    state,
    waitForEnd: (id, timeoutMs) => waits.waitForEnd(id, timeoutMs).catch((err: Error) => Promise.reject(new Error(`${err.message}\n${diagnostics(procs)}`))),
    waitForPhase: waits.waitForPhase,
    events: (id) => rt.bus.releaseEvents(id),
    writes: () => sim.audit().filter((a) => a.user !== "system:kube-sim" && (a.code ?? 0) < 300 && a.dryRun !== true),
    async stop() {
      await Promise.all([...procs.values()].map((p) => p.kill("SIGTERM").catch(() => undefined)));
      await rt.cleanup();
      await sim.close();
      await rm(dir, { recursive: true, force: true });
    },
  };
  try {
    for (const stage of opts.stages ?? STAGE_NAMES) await rig.start(stage);
  } catch (err) {
    await rig.stop();
    throw err;
  }
  return rig;
}

function diagnostics(procs: Map<string, StageProc>): string {
  return [...procs.values()].map((p) => `--- ${p.stage} (pid ${p.pid}, ${p.alive() ? "alive" : "dead"}):\n${p.output().slice(-1500)}`).join("\n");
}

/** Counts Baton's successful writes matching the predicate. */
export function count(writes: readonly AuditEntry[], pred: (a: AuditEntry) => boolean): number {
  return writes.filter(pred).length;
}

/** The side effects of one release to `rev` of `app` with a previous revision `prev`, counted. */
export function sideEffects(writes: readonly AuditEntry[], app: string, rev: number, prev: number | null) {
  const n = (pred: (a: AuditEntry) => boolean) => count(writes, pred);
  return {
    deploymentCreated: n((a) => a.verb === "create" && a.resource === "deployments" && a.name === `${app}-${rev}`),
    productionSwitched: n((a) => a.resource === "services" && a.name === app && (a.verb === "patch" || a.verb === "update")),
    productionCreated: n((a) => a.resource === "services" && a.name === app && a.verb === "create"),
    v1ScaledToZero: prev === null ? 0 : n((a) => a.resource === "deployments" && a.name === `${app}-${prev}` && (a.subresource === "scale" || a.verb === "patch")),
    v1PodsForced: prev === null ? 0 : n((a) => a.resource === "pods" && a.verb === "delete" && (a.name ?? "").startsWith(`${app}-${prev}-`)),
    v1Deleted: prev === null ? 0 : n((a) => a.verb === "delete" && a.resource === "deployments" && a.name === `${app}-${prev}`),
  };
}

/** A namespace for the test's apps. */
export async function given(rig: Rig, namespace = "shop"): Promise<void> {
  await rig.core.createNamespace({ body: { metadata: { name: namespace } } });
}
