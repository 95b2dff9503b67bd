import { mkdtemp, rm } from "node:fs/promises";
import { createServer, type IncomingHttpHeaders } from "node:http";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { AppsV1Api, CoreV1Api, KubeConfig, type V1EnvVar } from "@kubernetes/client-node";
import pg from "pg";
import { isTerminal, type AnyEvent, type ReleaseSpecInput, type ReleaseState } from "@baton/contracts";
import { releaseEvents, spec } from "@baton/contracts/testing";
import { startKubeSim, type AuditEntry, type KubeSim } from "@baton/kube-sim";
import { createLogger, startServices, type Config, type ServiceHandle } from "@baton/runtime";
import { captureLogs, openTestRuntime, testConfig, waitFor, type CapturedLogs, type TestRuntime } from "@baton/runtime/testing";
import { reaperService } from "../src/index.js";

// The reaper's world in tests: kube-sim as the cluster (through the real client-node), real NATS
// and Redis under a unique prefix, the reaper service running with captured logs, and helpers to
// put a release in the state the reaper takes over from (TrafficSwitched).

export const NS = "shop";
export const APP = "web";

export interface World {
  readonly sim: KubeSim;
  readonly config: Config;
  readonly rt: TestRuntime;
  readonly logs: CapturedLogs;
  readonly core: CoreV1Api;
  readonly apps: AppsV1Api;
  readonly service: ServiceHandle;
  stop(): Promise<void>;
}

export async function startWorld(overrides: Record<string, string | number> = {}): Promise<World> {
  const sim = await startKubeSim();
  const dir = await mkdtemp(join(tmpdir(), "baton-reaper-"));
  const kubeconfig = join(dir, "kubeconfig");
  await sim.writeKubeconfig(kubeconfig);
  const config = testConfig({
    KUBECONFIG: kubeconfig,
    BATON_SERVICE_ADDRESS: "load-balancer",
    BATON_TIMER_POLL_MS: 5,
    BATON_WEBHOOK_ALLOWED_HOSTS: "127.0.0.1", // the test receivers
    ...overrides,
  });
  const logs = captureLogs("reaper", "debug");
  const rt = await openTestRuntime("observer", config, createLogger({ service: "observer", level: "silent" }));
  const service = await startServices(config, [reaperService], { log: logs.logger, http: false });
  const kc = new KubeConfig();
  kc.loadFromString(sim.kubeconfig());
  const core = kc.makeApiClient(CoreV1Api);
  const apps = kc.makeApiClient(AppsV1Api);
  await core.createNamespace({ body: { metadata: { name: NS } } });
  return {
    sim, config, rt, logs, core, apps, service,
    async stop() {
      await service.stop();
      await rt.cleanup();
      await sim.close();
      await rm(dir, { recursive: true, force: true });
    },
  };
}

export interface RevisionOptions {
  /** null: without Baton's ownership label, as a team's own Deployment. */
  readonly madeBy?: null;
  readonly replicas?: number;
  readonly env?: Record<string, string>;
  readonly terminationGracePeriodSeconds?: number;
}

/** A revision's Deployment as the pod-manager makes it, with its pods Ready. */
export async function givenRevision(w: World, revision: number, opts: RevisionOptions = {}): Promise<void> {
  const labels = { "app.kubernetes.io/name": APP, "baton.dev/revision": String(revision) };
  const env: V1EnvVar[] = Object.entries(opts.env ?? {}).map(([name, value]) => ({ name, value }));
  const replicas = opts.replicas ?? 2;
  await w.apps.createNamespacedDeployment({
    namespace: NS,
    body: {
      metadata: { name: `${APP}-${revision}`, labels: opts.madeBy === null ? labels : { ...labels, "app.kubernetes.io/managed-by": "baton" } },
      spec: {
        replicas,
        selector: { matchLabels: labels },
        template: {
          metadata: { labels },
          spec: {
            ...(opts.terminationGracePeriodSeconds === undefined ? {} : { terminationGracePeriodSeconds: opts.terminationGracePeriodSeconds }),
            containers: [{ name: "app", image: `baton.dev/demo-app:${revision}.0.0`, ports: [{ containerPort: 8080 }], env }],
          },
        },
      },
    },
  });
  await waitFor(`${replicas} Ready pods of revision ${revision}`, async () => (await readyPods(w, revision)) === replicas, 15_000);
}

export async function podsOf(w: World, revision: number) {
  return (await w.core.listNamespacedPod({ namespace: NS, labelSelector: `baton.dev/revision=${revision}` })).items;
}

async function readyPods(w: World, revision: number): Promise<number> {
  return (await podsOf(w, revision)).filter((p) => p.status?.conditions?.some((c) => c.type === "Ready" && c.status === "True")).length;
}

export interface Given {
  readonly releaseId: string;
  readonly ev: ReturnType<typeof releaseEvents>;
  /** Publishes TrafficSwitched as the traffic-switcher would; returns the wall time just before. */
  publishSwitch(): Promise<number>;
}

/** A release recorded up to ValidationPassed (phase promoting), holding the app's lock. */
export async function givenRelease(
  w: World,
  releaseId: string,
  o: { revision: number; previousRevision: number | null; spec?: Partial<ReleaseSpecInput> },
): Promise<Given> {
  const ev = releaseEvents(releaseId, APP, NS, Date.now() - 60_000);
  await w.rt.store.apply(ev("ReleaseRequested", { spec: spec({ app: APP, namespace: NS, ...o.spec }) }));
  const lock = await w.rt.store.acquireLock(NS, APP, releaseId);
  if (!lock.ok) throw new Error(`lock held by ${lock.holder}`);
  for (const e of [
    ev("ReleasePlanned", { revision: o.revision, previousRevision: o.previousRevision, fence: lock.fence }),
    ev("PodsLive", { revision: o.revision, ready: 1, desired: 1 }),
    ev("ValidationPassed", { revision: o.revision, checks: [], warmup: null }),
  ]) {
    const r = await w.rt.store.apply(e);
    if (r.kind !== "applied") throw new Error(`could not record ${e.name}: ${JSON.stringify(r)}`);
  }
  return {
    releaseId,
    ev,
    async publishSwitch() {
      const at = Date.now();
      await w.rt.bus.publish(ev("TrafficSwitched", { from: o.previousRevision, to: o.revision, endpoints: 1 }));
      return at;
    },
  };
}

export async function waitForEnd(w: World, releaseId: string, timeoutMs = 20_000): Promise<ReleaseState> {
  return waitFor(`release ${releaseId} to end`, async () => {
    const s = (await w.rt.store.get(releaseId))?.state;
    return s !== undefined && isTerminal(s.phase) ? s : undefined;
  }, timeoutMs, 20);
}

export async function eventsOf(w: World, releaseId: string): Promise<AnyEvent[]> {
  return w.rt.bus.releaseEvents(releaseId);
}

export function eventOf<N extends AnyEvent["name"]>(events: AnyEvent[], name: N): Extract<AnyEvent, { name: N }> {
  const e = events.find((x) => x.name === name);
  if (e === undefined) throw new Error(`no ${name} among ${events.map((x) => x.name).join(", ")}`);
  return e as Extract<AnyEvent, { name: N }>;
}

/** API writes made by clients (the reaper, the test), not by the simulator's own controllers. */
export function clientWrites(sim: KubeSim): AuditEntry[] {
  return sim.audit().filter((a) => a.user !== "system:kube-sim");
}

/** Everything the stream holds for this test's prefix, as text. */
export async function streamText(w: World): Promise<string> {
  const raw = await w.rt.bus.readAll(w.rt.bus.subjects.eventsStream, w.rt.bus.subjects.allEvents);
  return raw.map((m) => m.data).join("\n");
}

// PostgreSQL: a fresh database per test, dropped after.

export interface TestDatabase {
  readonly name: string;
  /** postgres://postgres@127.0.0.1:5432/<name> (trust auth: any password is accepted). */
  readonly url: string;
  query(text: string, values?: unknown[]): Promise<pg.QueryResult>;
  drop(): Promise<void>;
}

const PG_ADMIN = process.env.BATON_TEST_PG_URL ?? "postgres://postgres@127.0.0.1:5432/postgres";

export async function testDatabase(): Promise<TestDatabase> {
  const name = `baton_reaper_${Date.now().toString(36)}_${Math.random().toString(36).slice(2, 8)}`;
  const admin = new pg.Client({ connectionString: PG_ADMIN });
  await admin.connect();
  await admin.query(`CREATE DATABASE ${name}`);
  await admin.end();
  const url = PG_ADMIN.replace(/\/postgres$/, `/${name}`);
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  return {
    name,
    url,
    query: (text, values) => client.query(text, values),
    async drop() {
      await client.end().catch(() => undefined);
      const a = new pg.Client({ connectionString: PG_ADMIN });
      await a.connect();
      await a.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
      await a.end();
    },
  };
}

/** The connection string with a password in it, as a team would store it in the Secret. */
export function withPassword(url: string, password: string): string {
  return url.replace("postgres@", `postgres:${encodeURIComponent(password)}@`);
}

/** A Secret in the app's namespace, bound to `boundTo` (label baton.dev/app; default the app, null: unbound). */
export async function givenSecret(w: World, name: string, data: Record<string, string>, boundTo: string | null = APP): Promise<void> {
  const labels = boundTo === null ? undefined : { "baton.dev/app": boundTo };
  await w.core.createNamespacedSecret({ namespace: NS, body: { metadata: { name, ...(labels ? { labels } : {}) }, stringData: data } });
}

// A webhook receiver: records every request; answers with the statuses given, then 204.

export interface Received {
  readonly method: string;
  readonly headers: IncomingHttpHeaders;
  readonly body: string;
}

export interface Receiver {
  readonly url: string;
  readonly received: Received[];
  close(): Promise<void>;
}

export interface ReceiverOptions {
  /** Error answers echo the Authorization header back (reason phrase and body), as careless servers do. */
  readonly echoAuth?: boolean;
  readonly always?: number;
  readonly hang?: boolean;
  /** Answers 307 with this Location. */
  readonly redirectTo?: string;
  /** The body of error answers (default "temporarily unavailable"). */
  readonly errorBody?: string;
}

export async function startReceiver(statuses: number[] = [], opts: ReceiverOptions = {}): Promise<Receiver> {
  const received: Received[] = [];
  const server = createServer((req, res) => {
    let body = "";
    req.on("data", (c: Buffer) => (body += c.toString("utf8")));
    req.on("end", () => {
      received.push({ method: req.method ?? "", headers: req.headers, body });
      if (opts.hang) return; // never answers
      if (opts.redirectTo !== undefined) {
        res.writeHead(307, { location: opts.redirectTo }).end();
        return;
      }
      res.statusCode = statuses.shift() ?? opts.always ?? 204;
      const why = opts.echoAuth ? `rejected credentials ${req.headers.authorization ?? ""}` : (opts.errorBody ?? "temporarily unavailable");
      if (opts.echoAuth && res.statusCode >= 300) res.statusMessage = why;
      res.end(res.statusCode >= 300 ? why : "");
    });
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const address = server.address();
  const port = typeof address === "object" && address !== null ? address.port : 0;
  return {
    url: `http://127.0.0.1:${port}/hooks/release`,
    received,
    close: () =>
      new Promise((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
