import { readFile } from "node:fs/promises";
import { fileURLToPath } from "node:url";
import { afterEach, beforeEach, expect, test } from "vitest";
import { parse } from "yaml";
import { ApiextensionsV1Api, CustomObjectsApi, KubeConfig, type V1CustomResourceDefinition } from "@kubernetes/client-node";
import { startServices, type ServiceHandle } from "@baton/runtime";
import { openTestRuntime, testConfig, waitFor, type TestRuntime } from "@baton/runtime/testing";
import { plannerService } from "../src/index.js";
import { startCluster, type Cluster } from "./cluster.js";

// Given a cluster with the Release CRD (deploy/crd/release.yaml) and the planner service, when a
// Release object is created, then the planner plans that release: the watcher is wired in.

const CRD_FILE = fileURLToPath(new URL("../../../deploy/crd/release.yaml", import.meta.url));
let cluster: Cluster;
let rt: TestRuntime;
let handle: ServiceHandle | undefined;

beforeEach(async () => {
  cluster = await startCluster("shop");
});

afterEach(async () => {
  await handle?.stop();
  handle = undefined;
  await rt?.cleanup();
  await cluster.close();
});

async function start(): Promise<void> {
  const config = testConfig({ KUBECONFIG: cluster.kubeconfigPath, BATON_ALLOWED_NAMESPACES: "shop" });
  rt = await openTestRuntime("test", config);
  handle = await startServices(config, [plannerService], { http: false });
}

test("with the Release CRD installed, a Release object becomes a planned release", async () => {
  const kc = new KubeConfig();
  kc.loadFromString(cluster.sim.kubeconfig());
  const crd = parse(await readFile(CRD_FILE, "utf8")) as V1CustomResourceDefinition;
  await kc.makeApiClient(ApiextensionsV1Api).createCustomResourceDefinition({ body: crd });
  await start();

  const custom = kc.makeApiClient(CustomObjectsApi);
  await custom.createNamespacedCustomObject({
    group: "baton.dev",
    version: "v1alpha1",
    namespace: "shop",
    plural: "releases",
    body: { apiVersion: "baton.dev/v1alpha1", kind: "Release", metadata: { name: "web-1" }, spec: { app: "web", image: "baton.dev/demo-app:1.0.0" } },
  });

  const planned = await waitFor("a planned release of web", async () => {
    const states = await rt.store.list(10);
    return states.find((s) => s.app === "web" && s.phase === "planned");
  });
  expect(planned).toMatchObject({ namespace: "shop", revision: 1, previousRevision: null });
  expect(planned.releaseId).toMatch(/^cr-[0-9a-f]{8}-1$/);
});

test("with the CRD applied after the planner started (a fresh kube-sim, Baton installed first), Releases are followed once it appears", async () => {
  await start();
  const kc = new KubeConfig();
  kc.loadFromString(cluster.sim.kubeconfig());
  // the planner has looked once and found no baton.dev; now the CRD is installed
  await waitFor("the planner's first discovery check", async () => {
    const calls = await handle!.rt.metrics.kubeRequests.get();
    return calls.values.some((v) => v.labels.resource === "apis");
  });
  const crd = parse(await readFile(CRD_FILE, "utf8")) as V1CustomResourceDefinition;
  await kc.makeApiClient(ApiextensionsV1Api).createCustomResourceDefinition({ body: crd });
  await kc.makeApiClient(CustomObjectsApi).createNamespacedCustomObject({
    group: "baton.dev",
    version: "v1alpha1",
    namespace: "shop",
    plural: "releases",
    body: { apiVersion: "baton.dev/v1alpha1", kind: "Release", metadata: { name: "web-late" }, spec: { app: "web", image: "baton.dev/demo-app:1.0.0" } },
  });
  const planned = await waitFor("a planned release of the Release applied after the CRD", async () => {
    const states = await rt.store.list(10);
    return states.find((s) => s.app === "web" && s.phase === "planned");
  }, 15_000, 100);
  expect(planned.releaseId).toMatch(/^cr-[0-9a-f]{8}-1$/);
});

test("without the CRD the planner still serves the intake (the watcher is simply not started)", async () => {
  await start();
  const m = await rt.bus.nc.request(rt.bus.subjects.intake, JSON.stringify({ app: "web", namespace: "shop", image: "baton.dev/demo-app:1.0.0" }), { timeout: 5000 });
  const reply = m.json<{ ok: boolean; releaseId: string }>();
  expect(reply.ok).toBe(true);
  await waitFor("planned", async () => (await rt.store.get(reply.releaseId))?.state.phase === "planned");
  const kubeCalls = await handle!.rt.metrics.kubeRequests.get();
  expect(kubeCalls.values.filter((v) => v.labels.resource === "releases")).toEqual([]);
});
