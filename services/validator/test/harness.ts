// Test set-up for the validator: kube-sim through client-node, real NATS and Redis under a unique
// prefix, the validator stage as in production, and a v2 already up behind its preview Service
// (what the pod-manager would have left) so that PodsLive can be published.
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { AppsV1Api, CoreV1Api } from "@kubernetes/client-node";
import type { AnyEvent, EventName, ReleaseSpec, ReleaseSpecInput } from "@baton/contracts";
import { releaseEvents, specInput } from "@baton/contracts/testing";
import { startKubeSim, type KubeSim } from "@baton/kube-sim";
import { loadKubeConfig, revisionSelector, serviceUrl, startServices, type ServiceHandle, type ServiceModule } from "@baton/runtime";
import { openTestRuntime, testConfig, waitFor, type TestRuntime } from "@baton/runtime/testing";

export const NS = "shop";

export interface Harness {
  readonly sim: KubeSim;
  readonly rt: TestRuntime;
  readonly core: CoreV1Api;
  readonly apps: AppsV1Api;
  readonly service: ServiceHandle;
  close(): Promise<void>;
}

export async function startHarness(modules: readonly ServiceModule[]): Promise<Harness> {
  const sim = await startKubeSim({ probeIntervalMs: 50 });
  const dir = await mkdtemp(join(tmpdir(), "baton-validator-"));
  const kubeconfig = join(dir, "kubeconfig");
  await sim.writeKubeconfig(kubeconfig);
  const config = testConfig({ KUBECONFIG: kubeconfig, BATON_SERVICE_ADDRESS: "load-balancer" });
  const rt = await openTestRuntime("test", config);
  const kc = loadKubeConfig(config);
  const core = kc.makeApiClient(CoreV1Api);
  const apps = kc.makeApiClient(AppsV1Api);
  await core.createNamespace({ body: { metadata: { name: NS } } });
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

/** v2 of `app` (revision 2, two demo pods with `env`) behind `<app>-preview`, answering. */
export async function v2Behind(h: Harness, app: string, env: { name: string; value: string }[]): Promise<string> {
  const labels = revisionSelector(app, 2);
  await h.apps.createNamespacedDeployment({
    namespace: NS,
    body: {
      metadata: { name: `${app}-2`, labels },
      spec: {
        replicas: 2,
        selector: { matchLabels: labels },
        template: {
          metadata: { labels },
          spec: {
            containers: [
              {
                name: "app",
                image: "baton.dev/demo-app:2.0.0",
                env,
                ports: [{ containerPort: 8080 }],
                readinessProbe: { httpGet: { path: "/healthz", port: 8080 }, periodSeconds: 1 },
              },
            ],
          },
        },
      },
    },
  });
  await h.core.createNamespacedService({
    namespace: NS,
    body: { metadata: { name: `${app}-preview` }, spec: { selector: labels, ports: [{ port: 8080, targetPort: 8080 }] } },
  });
  const url = await waitFor(`${app}-preview address`, () =>
    serviceUrl(h.core, { BATON_SERVICE_ADDRESS: "load-balancer", BATON_CLUSTER_DOMAIN: "cluster.local" }, NS, `${app}-preview`),
  );
  await waitFor(`${app}-2 endpoints ready`, async () => {
    const ep = await h.core.readNamespacedEndpoints({ name: `${app}-preview`, namespace: NS });
    return (ep.subsets?.flatMap((s) => s.addresses ?? []).length ?? 0) === 2;
  });
  return url;
}

/**
 * Records a release up to `planned` (revision 2 over 1) and publishes PodsLive, as the pod-manager
 * would. `storedAsIs` changes the spec after it was checked: a spec stored before a rule existed.
 */
export async function podsLive(
  rt: TestRuntime,
  releaseId: string,
  app: string,
  spec: Partial<ReleaseSpecInput>,
  storedAsIs?: (spec: ReleaseSpec) => void,
): Promise<void> {
  const ev = releaseEvents(releaseId, app, NS, Date.now());
  const lock = await rt.store.acquireLock(NS, app, releaseId);
  if (!lock.ok) throw new Error(`lock of ${app} held by ${lock.holder}`);
  const requested = ev("ReleaseRequested", { spec: specInput({ app, namespace: NS, replicas: 2, ...spec }) });
  storedAsIs?.(requested.data.spec);
  const events: AnyEvent[] = [requested, ev("ReleasePlanned", { revision: 2, previousRevision: 1, fence: lock.fence })];
  for (const e of events) {
    await rt.bus.publish(e);
    await rt.store.apply(e);
  }
  await rt.bus.publish(ev("PodsLive", { revision: 2, ready: 2, desired: 2 }));
}

export async function waitForEvent<N extends EventName>(rt: TestRuntime, releaseId: string, name: N, timeoutMs = 20_000) {
  return waitFor(
    `${name} of ${releaseId}`,
    async () => (await rt.bus.releaseEvents(releaseId)).find((e) => e.name === name) as Extract<AnyEvent, { name: N }> | undefined,
    timeoutMs,
    50,
  );
}
