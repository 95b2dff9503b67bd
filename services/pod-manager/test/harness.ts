// Test set-up shared by the pod-manager's integration tests: kube-sim reached through the real
// client-node, real NATS and Redis under a unique prefix, the stage started as in production.
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { AppsV1Api, CoreV1Api, type V1Deployment } from "@kubernetes/client-node";
import type { AnyEvent, EventName, ReleaseSpecInput } from "@baton/contracts";
import { releaseEvents, specInput } from "@baton/contracts/testing";
import { startKubeSim, type AuditEntry, type KubeSim } from "@baton/kube-sim";
import { loadKubeConfig, revisionSelector, startServices, type ServiceHandle, type ServiceModule } from "@baton/runtime";
import { openTestRuntime, testConfig, waitFor, type TestRuntime } from "@baton/runtime/testing";

export interface Harness {
  readonly sim: KubeSim;
  readonly rt: TestRuntime;
  readonly core: CoreV1Api;
  readonly apps: AppsV1Api;
  readonly service: ServiceHandle;
  close(): Promise<void>;
}

export async function startHarness(
  modules: readonly ServiceModule[],
  namespaces: readonly string[],
  overrides: Record<string, string | number> = {},
): Promise<Harness> {
  const sim = await startKubeSim({ probeIntervalMs: 50 });
  const dir = await mkdtemp(join(tmpdir(), "baton-pod-manager-"));
  const kubeconfig = join(dir, "kubeconfig");
  await sim.writeKubeconfig(kubeconfig);
  const config = testConfig({ KUBECONFIG: kubeconfig, BATON_SERVICE_ADDRESS: "load-balancer", ...overrides });
  const rt = await openTestRuntime("test", config);
  const kc = loadKubeConfig(config);
  const core = kc.makeApiClient(CoreV1Api);
  const apps = kc.makeApiClient(AppsV1Api);
  for (const name of namespaces) await core.createNamespace({ body: { metadata: { name } } });
  const service = await startServices(config, modules);
  return {
    sim,
    rt,
    core,
    apps,
    service,
    async close() {
      await service.stop();
      await rt.cleanup();
      await sim.close();
      await rm(dir, { recursive: true, force: true });
    },
  };
}

export interface Release {
  readonly releaseId: string;
  readonly app: string;
  readonly namespace: string;
  readonly ev: ReturnType<typeof releaseEvents>;
}

/** Records ReleaseRequested (as the intake would) and publishes ReleasePlanned (as the planner would). */
export async function planRelease(
  rt: TestRuntime,
  r: { releaseId: string; app: string; namespace: string; revision: number; previousRevision: number | null; spec: Partial<ReleaseSpecInput> },
): Promise<Release & { planned: AnyEvent }> {
  const ev = releaseEvents(r.releaseId, r.app, r.namespace, Date.now());
  const requested = ev("ReleaseRequested", { spec: specInput({ app: r.app, namespace: r.namespace, ...r.spec }) });
  await rt.bus.publish(requested);
  await rt.store.apply(requested);
  const lock = await rt.store.acquireLock(r.namespace, r.app, r.releaseId);
  if (!lock.ok) throw new Error(`lock of ${r.app} held by ${lock.holder}`);
  const planned = ev("ReleasePlanned", { revision: r.revision, previousRevision: r.previousRevision, fence: lock.fence });
  await rt.bus.publish(planned);
  return { releaseId: r.releaseId, app: r.app, namespace: r.namespace, ev, planned };
}

/** Waits for an event of the release in the stream. */
export async function waitForEvent<N extends EventName>(rt: TestRuntime, releaseId: string, name: N, timeoutMs = 20_000) {
  return waitFor(
    `${name} of ${releaseId}`,
    async () => (await rt.bus.releaseEvents(releaseId)).find((e) => e.name === name) as Extract<AnyEvent, { name: N }> | undefined,
    timeoutMs,
    50,
  );
}

export async function eventNames(rt: TestRuntime, releaseId: string): Promise<string[]> {
  return (await rt.bus.releaseEvents(releaseId)).map((e) => e.name);
}

/** Writes the test made itself and the simulator's own controllers are left out: what Baton wrote. */
export function writesTo(sim: KubeSim, resource: string, name: string): AuditEntry[] {
  return sim.audit().filter((a) => a.user !== "system:kube-sim" && a.resource === resource && a.name === name);
}

/** A v1 Deployment as an earlier release would have left it. */
export function v1Deployment(app: string, namespace: string, env: { name: string; value: string }[]): V1Deployment {
  const labels = revisionSelector(app, 1);
  return {
    metadata: { name: `${app}-1`, namespace, labels },
    spec: {
      replicas: 1,
      selector: { matchLabels: labels },
      template: {
        metadata: { labels: { ...labels, team: "shop" } },
        spec: {
          containers: [
            { name: "app", image: "baton.dev/demo-app:1.0.0", env, ports: [{ name: "http", containerPort: 8080 }] },
            { name: "sidecar", image: "baton.dev/demo-app:0.1.0", ports: [{ containerPort: 9090 }] },
          ],
        },
      },
    },
  };
}

export async function isGone(fn: () => Promise<unknown>): Promise<boolean> {
  try {
    await fn();
    return false;
  } catch (err) {
    return (err as { code?: number }).code === 404;
  }
}
