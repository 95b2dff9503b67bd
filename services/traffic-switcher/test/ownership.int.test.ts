import { afterEach, beforeEach, describe, expect, test } from "vitest";
import { spec } from "@baton/contracts/testing";
import type { EventName } from "@baton/contracts";
import { emit, eventOf, record, revisionSelector, startServices, type EmitData, type ServiceHandle } from "@baton/runtime";
import { openTestRuntime, testConfig, waitFor, type TestRuntime } from "@baton/runtime/testing";
import { trafficSwitcherService } from "../src/index.js";
import { clientWrites, createRevision, createService, readyPods, scaleRevision, selectorOf, startCluster, versionThrough, type Cluster } from "./cluster.js";

// Issue 22, item 4: the traffic-switcher writes only objects Baton made. Given a production
// Service or a v1 Deployment with the names Baton uses but not made by Baton, when the switch (or
// the switch back) needs them, then it leaves them exactly as they were and the release fails
// naming the object and why.

const ns = "shop";
const app = "web";
let cluster: Cluster;
let rt: TestRuntime;
let handle: ServiceHandle | undefined;
const release = { releaseId: "rel-own", app, namespace: ns };

beforeEach(async () => {
  cluster = await startCluster(ns);
  const config = testConfig({ KUBECONFIG: cluster.kubeconfigPath, BATON_SERVICE_ADDRESS: "load-balancer" });
  rt = await openTestRuntime("test", config);
  handle = await startServices(config, [trafficSwitcherService], { http: false });
});

afterEach(async () => {
  await handle?.stop();
  await rt?.cleanup();
  await cluster.close();
});

const ev = <N extends EventName>(name: N, data: EmitData<N>) => eventOf(rt, "test", release, name, data);

async function validated(): Promise<void> {
  const lock = await rt.store.acquireLock(ns, app, release.releaseId);
  if (!lock.ok) throw new Error("lock held");
  const s = spec({ replicas: 1 });
  await record(rt, ev("ReleaseRequested", { spec: s }));
  await record(rt, ev("ReleasePlanned", { revision: 2, previousRevision: 1, fence: lock.fence }));
  await record(rt, ev("PodsLive", { revision: 2, ready: 1, desired: 1 }));
  expect((await emit(rt, "validator", ev("ValidationPassed", { revision: 2, checks: [], warmup: null }))).emitted).toBe(true);
}

const outcome = () =>
  waitFor("the switch's outcome", async () => (await rt.bus.releaseEvents(release.releaseId)).find((e) => ["TrafficSwitched", "ReleaseFailed", "TrafficSwitchedBack"].includes(e.name)));

describe("traffic-switcher: only Baton's objects", () => {
  test("a team's own production Service is not switched: the release fails naming it, production stays on v1", async () => {
    await createRevision(cluster, ns, app, 1, { replicas: 1, version: "1.0.0" });
    await createService(cluster, ns, app, revisionSelector(app, 1), { team: "shop" });
    await createRevision(cluster, ns, app, 2, { replicas: 1, version: "2.0.0" });
    await createService(cluster, ns, `${app}-preview`, revisionSelector(app, 2));
    await readyPods(cluster, ns, app, 2, 1);

    await validated();
    const end = await outcome();

    expect(end.name).toBe("ReleaseFailed");
    expect(end.name === "ReleaseFailed" && end.data).toEqual({
      releaseId: release.releaseId,
      app,
      namespace: ns,
      stage: "traffic-switcher",
      cause: "Service shop/web exists and was not made by Baton (no label app.kubernetes.io/managed-by=baton): Baton changes only objects it made; production was not switched (v2, Deployment web-2, is left for inspection)",
    });
    expect(clientWrites(cluster.sim, "services", app).map((w) => w.verb)).toEqual(["create"]); // the test's own
    expect(await selectorOf(cluster, ns, app)).toEqual(revisionSelector(app, 1));
    expect(await versionThrough(cluster, ns, app)).toBe("1.0.0");
  });

  test("switching back does not scale up a v1 Deployment Baton did not make: the release fails naming it", async () => {
    await createRevision(cluster, ns, app, 1, { replicas: 1, version: "1.0.0", madeBy: null });
    await createService(cluster, ns, app, revisionSelector(app, 1));
    await createRevision(cluster, ns, app, 2, { replicas: 1, version: "2.0.0" });
    await createService(cluster, ns, `${app}-preview`, revisionSelector(app, 2));
    await readyPods(cluster, ns, app, 2, 1);
    await validated();
    expect((await outcome()).name).toBe("TrafficSwitched");
    await scaleRevision(cluster, ns, app, 1, 0);

    await emit(rt, "cli", ev("AbortRequested", { by: "alice", reason: "errors" }));
    const failed = await waitFor("ReleaseFailed", async () => (await rt.bus.releaseEvents(release.releaseId)).find((e) => e.name === "ReleaseFailed"));

    expect(failed.name === "ReleaseFailed" && failed.data.cause).toBe(
      "Deployment shop/web-1 exists and was not made by Baton (no label app.kubernetes.io/managed-by=baton): Baton changes only objects it made; production was not switched back (it stays on revision 2)",
    );
    expect((await cluster.apps.readNamespacedDeployment({ name: `${app}-1`, namespace: ns })).spec?.replicas).toBe(0);
    expect(await selectorOf(cluster, ns, app)).toEqual(revisionSelector(app, 2));
  });
});
