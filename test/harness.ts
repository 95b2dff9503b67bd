import { mkdtemp, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { AppsV1Api, CoreV1Api, KubeConfig } from "@kubernetes/client-node";
import pg from "pg";
import { isTerminal, type AnyEvent, type Phase, type ReleaseSpecInput, type ReleaseState } from "@baton/contracts";
import { STAGES, requestControl, startTraffic, submit, type ControlEvent, type ControlResult, type IntakeReply, type Traffic } from "@baton/cli";
import { createLogger, serviceUrl, startServices, type Config, type Logger, type ServiceHandle } from "@baton/runtime";
import { captureLogs, openTestRuntime, testConfig, waitFor, type CapturedLogs, type TestRuntime } from "@baton/runtime/testing";
import { openCluster, type ClusterWrite, type StageName, type TestCluster } from "./cluster.js";

export { onRealCluster } from "./cluster.js";
export type { ClusterWrite, TestCluster } from "./cluster.js";

// The end-to-end harness: a cluster (kube-sim, or a real API server: see cluster.ts), real NATS,
// Redis and PostgreSQL, all five stages (optionally several replicas of each, each replica its own
// runtime and connections; on a real cluster each stage with its own identity), driven only through
// the public intake, observed through the stream, Redis and the cluster.

export interface Baton {
  readonly cluster: TestCluster;
  /** The test's namespace ("shop" on kube-sim; one of its own on a shared real cluster). */
  readonly ns: string;
  readonly config: Config;
  readonly rt: TestRuntime;
  readonly core: CoreV1Api;
  readonly apps: AppsV1Api;
  readonly logs: CapturedLogs;
  readonly replicas: ServiceHandle[];
  release(spec: Partial<ReleaseSpecInput> & Record<string, unknown>): Promise<IntakeReply>;
  releaseOk(spec: Partial<ReleaseSpecInput> & Record<string, unknown>): Promise<string>;
  waitForEnd(releaseId: string, timeoutMs?: number): Promise<ReleaseState>;
  waitForPhase(releaseId: string, phase: Phase, timeoutMs?: number): Promise<ReleaseState>;
  /** `baton promote` / `baton abort`, as the CLI sends them. */
  control(releaseId: string, event: ControlEvent, reason?: string): Promise<ControlResult>;
  /** Writes by Baton's services that change the workload (not the cluster's own controllers; Kubernetes Events left out), from the cluster's audit. */
  clientWrites(): Promise<ClusterWrite[]>;
  events(releaseId: string): Promise<AnyEvent[]>;
  productionTraffic(app: string, namespace: string, opts?: { clients?: number; ratePerSecond?: number; keepAlive?: boolean }): Promise<Traffic>;
  stop(): Promise<void>;
}

export interface BatonOptions {
  readonly replicas?: number;
  readonly overrides?: Record<string, string | number>;
  readonly logLevel?: string;
  /** Runs against the cluster before the services start (e.g. to install a CRD they look for). */
  readonly beforeServices?: (cluster: TestCluster) => Promise<void>;
  /** Stages not to start (to test what happens while one is down). */
  readonly without?: readonly string[];
}

export async function startBaton(opts: BatonOptions = {}): Promise<Baton> {
  const cluster = await openCluster();
  await opts.beforeServices?.(cluster);
  const ns = cluster.namespace;
  const dir = await mkdtemp(join(tmpdir(), "baton-e2e-"));
  const kubeconfigs = new Map<string, string>();
  for (const stage of Object.keys(STAGES)) {
    const file = join(dir, `kubeconfig-${stage}`);
    await writeFile(file, cluster.kubeconfigOf(stage as StageName), { mode: 0o600 });
    kubeconfigs.set(stage, file);
  }
  const admin = join(dir, "kubeconfig");
  await writeFile(admin, cluster.kubeconfig, { mode: 0o600 });
  const config = testConfig({
    KUBECONFIG: admin,
    // kube-sim publishes each Service's loopback port as its load balancer; on a real cluster the
    // Services' ClusterIPs are local to this machine (scripts/k8s), as kube-proxy makes them in-cluster.
    BATON_SERVICE_ADDRESS: cluster.kind === "kube-sim" ? "load-balancer" : "cluster-ip",
    BATON_TIMER_POLL_MS: 5,
    BATON_LOG_LEVEL: opts.logLevel ?? "debug",
    ...(cluster.kind === "kubernetes" ? { BATON_ALLOWED_NAMESPACES: ns } : {}),
    ...opts.overrides,
  });
  const logs = captureLogs("e2e", config.BATON_LOG_LEVEL);
  const rt = await openTestRuntime("e2e-observer", config, createLogger({ service: "observer", level: "silent" }));
  const replicas: ServiceHandle[] = [];
  const stages = Object.entries(STAGES).filter(([n]) => !opts.without?.includes(n));
  for (let i = 0; i < (opts.replicas ?? 1); i++) {
    const log = logs.logger.child({ replica: i }) as Logger;
    if (cluster.kind === "kube-sim") {
      replicas.push(await startServices(config, stages.map(([, m]) => m), { name: `replica-${i}`, log }));
      continue;
    }
    // On a real cluster each stage runs as its own ServiceAccount, with exactly deploy/'s Roles.
    for (const [name, module] of stages) {
      const own = { ...config, KUBECONFIG: kubeconfigs.get(name) as string };
      replicas.push(await startServices(own, [module], { name: `${name}-${i}`, log: log.child({ stage: name }) as Logger }));
    }
  }
  const kc = new KubeConfig();
  kc.loadFromString(cluster.kubeconfig);
  const core = kc.makeApiClient(CoreV1Api);
  const apps = kc.makeApiClient(AppsV1Api);
  const traffics: Traffic[] = [];
  const baton: Baton = {
    cluster,
    ns,
    config,
    rt,
    core,
    apps,
    logs,
    replicas,
    release: (spec) => submit(rt, { namespace: ns, app: "web", ...spec }, "e2e"),
    async releaseOk(spec) {
      const reply = await baton.release(spec);
      if (!reply.ok) throw new Error(`release rejected: ${JSON.stringify(reply)}`);
      return reply.releaseId;
    },
    waitForEnd: (releaseId, timeoutMs = 60_000) =>
      waitFor(`release ${releaseId} to end`, async () => {
        const s = (await rt.store.get(releaseId))?.state;
        return s !== undefined && isTerminal(s.phase) ? s : undefined;
      }, timeoutMs, 25),
    waitForPhase: (releaseId, phase, timeoutMs = 30_000) =>
      waitFor(`release ${releaseId} to reach ${phase}`, async () => {
        const s = (await rt.store.get(releaseId))?.state;
        if (s !== undefined && isTerminal(s.phase) && s.phase !== phase) throw new Error(`release ${releaseId} ended ${s.phase} (${s.outcome?.reason}) instead of reaching ${phase}`);
        return s?.phase === phase ? s : undefined;
      }, timeoutMs, 25),
    control: (releaseId, event, reason) => requestControl(rt, releaseId, event, { by: "e2e", ...(reason ? { reason } : {}) }),
    async clientWrites() {
      const writes = await cluster.writes();
      if (writes === null) throw new Error("this cluster's audit log is not readable (set BATON_TEST_AUDIT_LOG): the test counts Baton's writes");
      // Kubernetes Events are records of what happened, written best effort and a moment after the
      // step they tell; the tests count the writes that change the workload.
      return writes.filter((w) => w.resource !== "events");
    },
    events: (releaseId) => rt.bus.releaseEvents(releaseId),
    async productionTraffic(app, namespace, o = {}) {
      const url = await waitFor("the production Service's address", () => serviceUrl(core, config, namespace, app).catch(() => undefined));
      const t = startTraffic({ url, path: "/version", clients: o.clients ?? 8, ...(o.ratePerSecond ? { ratePerSecond: o.ratePerSecond } : {}), ...(o.keepAlive === undefined ? {} : { keepAlive: o.keepAlive }) });
      traffics.push(t);
      return t;
    },
    async stop() {
      await Promise.all(traffics.map((t) => t.stop()));
      await Promise.all(replicas.map((r) => r.stop()));
      await rt.cleanup();
      await cluster.close();
    },
  };
  return baton;
}

/** A fresh PostgreSQL database for one test, dropped by the returned cleanup. */
export async function testDatabase(name: string): Promise<{ url: string; query: (sql: string) => Promise<pg.QueryResult>; drop: () => Promise<void> }> {
  const admin = new pg.Client({ host: "127.0.0.1", port: 5432, user: "postgres", database: "postgres" });
  await admin.connect();
  await admin.query(`DROP DATABASE IF EXISTS ${name}`);
  await admin.query(`CREATE DATABASE ${name}`);
  await admin.end();
  const db = new pg.Client({ host: "127.0.0.1", port: 5432, user: "postgres", database: name });
  await db.connect();
  return {
    url: `postgres://postgres@127.0.0.1:5432/${name}`,
    query: (sql) => db.query(sql),
    async drop() {
      await db.end();
      const a = new pg.Client({ host: "127.0.0.1", port: 5432, user: "postgres", database: "postgres" });
      await a.connect();
      await a.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
      await a.end();
    },
  };
}

export function names(events: readonly AnyEvent[]): string[] {
  return events.map((e) => e.name);
}
