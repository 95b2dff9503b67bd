import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { AppsV1Api, CoreV1Api, KubeConfig } from "@kubernetes/client-node";
import type { AnyEvent, Phase, ReleaseState } from "@baton/contracts";
import { STAGES, requestControl, submit, type ControlResult, type IntakeReply } from "@baton/cli";
import { startKubeSim, type AuditEntry, type KubeSim } from "@baton/kube-sim";
import { createLogger, listDeadLetters, startServices, type Config, type DeadLetter, type ServiceHandle } from "@baton/runtime";
import { openTestRuntime, startFaultProxy, testConfig, type FaultProxy, type TestRuntime } from "@baton/runtime/testing";
import { POD_PORT, releaseWaits } from "./rig.js";

// A cluster with faults: kube-sim behind a fault proxy (the services reach the API server only
// through it, so a test can make a call slow, failing or hanging), the named stages in this process
// on real NATS, Redis and PostgreSQL, and an observer runtime that submits and reads.

export interface Faulty {
  readonly sim: KubeSim;
  readonly proxy: FaultProxy;
  readonly config: Config;
  readonly rt: TestRuntime;
  readonly core: CoreV1Api;
  readonly apps: AppsV1Api;
  /** The running stages (one process-like handle; stop and start them again with restart()). */
  services(): ServiceHandle;
  restart(): Promise<void>;
  release(spec: Record<string, unknown>): Promise<IntakeReply>;
  releaseOk(spec: Record<string, unknown>): Promise<string>;
  abort(releaseId: string): Promise<ControlResult>;
  promote(releaseId: string): Promise<ControlResult>;
  state(releaseId: string): Promise<ReleaseState | undefined>;
  waitForEnd(releaseId: string, timeoutMs?: number): Promise<ReleaseState>;
  waitForPhase(releaseId: string, phase: Phase, timeoutMs?: number): Promise<ReleaseState>;
  events(releaseId: string): Promise<AnyEvent[]>;
  deadLetters(): Promise<DeadLetter[]>;
  /** Successful API writes by Baton (not kube-sim's own controllers). */
  writes(): AuditEntry[];
  stop(): Promise<void>;
}

export interface FaultyOptions {
  readonly stages?: readonly string[];
  readonly overrides?: Record<string, string | number>;
}

export async function startFaulty(opts: FaultyOptions = {}): Promise<Faulty> {
  const sim = await startKubeSim();
  const proxy = await startFaultProxy(serverOf(sim.kubeconfig()));
  const dir = await mkdtemp(join(tmpdir(), "baton-faulty-"));
  const kubeconfig = join(dir, "kubeconfig");
  await writeFile(kubeconfig, proxy.kubeconfig(sim.kubeconfig()));
  const config = testConfig({
    KUBECONFIG: kubeconfig,
    BATON_SERVICE_ADDRESS: "load-balancer",
    BATON_TIMER_POLL_MS: 10,
    BATON_LOG_LEVEL: process.env.BATON_TEST_LOG_LEVEL ?? "silent",
    ...opts.overrides,
  });
  const rt = await openTestRuntime("faulty-observer", config, createLogger({ service: "observer", level: "silent" }));
  const kc = new KubeConfig();
  kc.loadFromString(sim.kubeconfig());
  const modules = (opts.stages ?? Object.keys(STAGES)).map((n) => STAGES[n]!);
  let handle = await startServices(config, modules, { http: false, name: "faulty" });
  const state = async (id: string) => (await rt.store.get(id))?.state;
  const f: Faulty = {
    sim,
    proxy,
    config,
    rt,
    core: kc.makeApiClient(CoreV1Api),
    apps: kc.makeApiClient(AppsV1Api),
    services: () => handle,
    async restart() {
      await handle.stop();
      handle = await startServices(config, modules, { http: false, name: "faulty" });
    },
    release: (spec) => submit(rt, { namespace: "shop", app: "web", port: POD_PORT, ...spec }, "reliability"),
    async releaseOk(spec) {
      const reply = await f.release(spec);
      if (!reply.ok) throw new Error(`release rejected: ${JSON.stringify(reply)}`);
      return reply.releaseId;
    },
    abort: (id) => requestControl(rt, id, "AbortRequested", { by: "reliability", reason: "test abort" }),
    promote: (id) => requestControl(rt, id, "PromotionApproved", { by: "reliability" }),
    state,
    ...releaseWaits(state),
    events: (id) => rt.bus.releaseEvents(id),
    deadLetters: () => listDeadLetters(rt.bus),
    writes: () => sim.audit().filter((a) => a.user !== "system:kube-sim" && (a.code ?? 0) < 300 && a.dryRun !== true),
    async stop() {
      await proxy.close(); // first: a call it holds would keep a handler (and so the stop) waiting
      await handle.stop();
      await rt.cleanup();
      await sim.close();
      await rm(dir, { recursive: true, force: true });
    },
  };
  return f;
}

function serverOf(kubeconfig: string): string {
  const m = /server: (\S+)/.exec(kubeconfig);
  if (m?.[1] === undefined) throw new Error("kube-sim's kubeconfig names no server");
  return m[1];
}

/** A namespace for the test's apps. */
export async function namespace(f: Faulty, name = "shop"): Promise<void> {
  await f.core.createNamespace({ body: { metadata: { name } } });
}
