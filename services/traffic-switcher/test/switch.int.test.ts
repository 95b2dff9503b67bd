import { afterEach, beforeEach, describe, expect, test } from "vitest";
import { PatchStrategy, setHeaderOptions } from "@kubernetes/client-node";
import { spec } from "@baton/contracts/testing";
import type { EventName, ReleaseSpec } from "@baton/contracts";
import { emit, eventOf, record, revisionSelector, startServices, type EmitData, type ServiceHandle } from "@baton/runtime";
import { openTestRuntime, testConfig, waitFor, type TestRuntime } from "@baton/runtime/testing";
import { trafficSwitcherService } from "../src/index.js";
import { clientWrites, createRevision, createService, readyPods, scaleRevision, selectorOf, startCluster, versionThrough, type Cluster } from "./cluster.js";

// Given a cluster (kube-sim) running v1 and v2 of `web`, and a release recorded up to validation,
// when the traffic-switcher gets its input event, then production moves (or not) as asserted,
// through the real Service, with the exact number of writes the audit shows.

const ns = "shop";
const app = "web";
let cluster: Cluster;
let rt: TestRuntime;
let handle: ServiceHandle | undefined;
let n = 0;
let release: { releaseId: string; app: string; namespace: string };

beforeEach(async () => {
  cluster = await startCluster(ns);
  release = { releaseId: `rel-ts-${++n}`, app, namespace: ns };
});

afterEach(async () => {
  await handle?.stop();
  handle = undefined;
  await rt?.cleanup();
  await cluster.close();
});

async function start(overrides: Record<string, string | number> = {}): Promise<void> {
  const config = testConfig({ KUBECONFIG: cluster.kubeconfigPath, BATON_SERVICE_ADDRESS: "load-balancer", ...overrides });
  rt = await openTestRuntime("test", config);
  handle = await startServices(config, [trafficSwitcherService], { http: false });
}

function ev<N extends EventName>(name: N, data: EmitData<N>) {
  return eventOf(rt, "test", release, name, data);
}

/** Records the release up to `validating` (requested, planned with the app's lock, pods live). */
async function validating(s: ReleaseSpec, revision: number, previousRevision: number | null): Promise<void> {
  await record(rt, ev("ReleaseRequested", { spec: s }));
  const lock = await rt.store.acquireLock(ns, app, release.releaseId); // as the planner: while the release is requested
  if (!lock.ok) throw new Error("lock held");
  await record(rt, ev("ReleasePlanned", { revision, previousRevision, fence: lock.fence }));
  await record(rt, ev("PodsLive", { revision, ready: s.liveThreshold, desired: s.replicas }));
}

async function passValidation(revision: number): Promise<void> {
  const r = await emit(rt, "validator", ev("ValidationPassed", { revision, checks: [], warmup: null }));
  expect(r.emitted).toBe(true);
}

async function eventNamed(name: EventName) {
  return waitFor(name, async () => (await rt.bus.releaseEvents(release.releaseId)).find((e) => e.name === name));
}

async function names(): Promise<EventName[]> {
  return (await rt.bus.releaseEvents(release.releaseId)).map((e) => e.name);
}

/** Given v1 serving production through Service `web` and v2 up behind `web-preview`. */
async function secondRelease(v2: { replicas: number } = { replicas: 2 }): Promise<void> {
  await createRevision(cluster, ns, app, 1, { replicas: 2, version: "1.0.0" });
  await createService(cluster, ns, app, revisionSelector(app, 1));
  await createRevision(cluster, ns, app, 2, { replicas: v2.replicas, version: "2.0.0" });
  await createService(cluster, ns, `${app}-preview`, revisionSelector(app, 2));
  await readyPods(cluster, ns, app, 1, 2);
  await readyPods(cluster, ns, app, 2, v2.replicas);
}

describe("traffic-switcher: the switch", () => {
  test("a first release creates the production Service once, selecting v1, and production answers", async () => {
    await createRevision(cluster, ns, app, 1, { replicas: 2, version: "1.0.0" });
    await createService(cluster, ns, `${app}-preview`, revisionSelector(app, 1));
    await readyPods(cluster, ns, app, 1, 2);
    await start();
    await validating(spec({ replicas: 2 }), 1, null);

    await passValidation(1);
    const switched = await eventNamed("TrafficSwitched");

    expect(switched.data).toMatchObject({ from: null, to: 1, endpoints: 2 });
    expect(clientWrites(cluster.sim, "services", app).map((w) => w.verb)).toEqual(["create"]);
    expect(await selectorOf(cluster, ns, app)).toEqual(revisionSelector(app, 1));
    expect(await versionThrough(cluster, ns, app)).toBe("1.0.0");
    expect((await rt.store.get(release.releaseId))?.state.phase).toBe("switched");
  });

  test("a second release patches the production selector exactly once, and production answers with v2", async () => {
    await secondRelease();
    await start();
    await validating(spec({ replicas: 2 }), 2, 1);
    expect(await versionThrough(cluster, ns, app)).toBe("1.0.0");

    await passValidation(2);
    const switched = await eventNamed("TrafficSwitched");

    expect(switched.data).toMatchObject({ from: 1, to: 2, endpoints: 2 });
    const writes = clientWrites(cluster.sim, "services", app);
    expect(writes.map((w) => [w.verb, w.patchType])).toEqual([["create", undefined], ["patch", "application/merge-patch+json"]]);
    expect(await selectorOf(cluster, ns, app)).toEqual(revisionSelector(app, 2));
    expect(await versionThrough(cluster, ns, app)).toBe("2.0.0");
    expect(await names()).toEqual(["ValidationPassed", "TrafficSwitched"]);
  });

  test("it does not switch before enough v2 endpoints are ready; it waits, then switches as soon as they are", async () => {
    await secondRelease({ replicas: 0 });
    await start({ BATON_MAX_DELIVER: 20 });
    await validating(spec({ replicas: 2 }), 2, 1);

    await passValidation(2);
    // The handler keeps re-checking the ready endpoints (within one delivery, then holding back).
    await new Promise((r) => setTimeout(r, 1500));
    expect((await rt.store.get(release.releaseId))?.state.phase).toBe("promoting");
    expect(clientWrites(cluster.sim, "services", app).filter((w) => w.verb === "patch")).toEqual([]);
    expect(await selectorOf(cluster, ns, app)).toEqual(revisionSelector(app, 1));

    await scaleRevision(cluster, ns, app, 2, 2);
    const switched = await eventNamed("TrafficSwitched");
    expect(switched.data).toMatchObject({ from: 1, to: 2, endpoints: 2 });
    expect(clientWrites(cluster.sim, "services", app).filter((w) => w.verb === "patch")).toHaveLength(1);
    expect(await versionThrough(cluster, ns, app)).toBe("2.0.0");
  });

  test("a retry after a crash that had already patched does not patch again, nor does a redelivered event", async () => {
    await secondRelease();
    await start();
    await validating(spec({ replicas: 2 }), 2, 1);
    // The earlier attempt patched the selector and crashed before emitting TrafficSwitched.
    await cluster.core.patchNamespacedService(
      { name: app, namespace: ns, body: { spec: { selector: revisionSelector(app, 2) } } },
      setHeaderOptions("Content-Type", PatchStrategy.MergePatch),
    );

    const passed = ev("ValidationPassed", { revision: 2, checks: [], warmup: null });
    await emit(rt, "validator", passed);
    await eventNamed("TrafficSwitched");
    // The same event delivered again (a new stream message, as after the dedup window).
    const { name: _name, ...wire } = passed;
    await rt.bus.publishRaw(rt.bus.subjects.event("ValidationPassed", ns, app, release.releaseId), JSON.stringify(wire), "again");
    await waitFor("the redelivered event to be handled", async () => {
      const m = await handle!.rt.metrics.consumed.get();
      return m.values.find((v) => v.labels.event === "ValidationPassed" && v.labels.outcome === "ack")?.value === 2;
    });

    expect(clientWrites(cluster.sim, "services", app).filter((w) => w.verb === "patch")).toHaveLength(1); // the crashed attempt's
    expect(await names()).toEqual(["ValidationPassed", "TrafficSwitched", "ValidationPassed"]);
  });

  test("manual promotion: nothing moves on ValidationPassed; PromotionApproved switches", async () => {
    await secondRelease();
    await start();
    await validating(spec({ replicas: 2, promotion: "manual" }), 2, 1);

    await passValidation(2);
    await waitFor("ValidationPassed handled", async () => {
      const m = await handle!.rt.metrics.consumed.get();
      return m.values.some((v) => v.labels.event === "ValidationPassed" && v.labels.outcome === "ack");
    });
    expect((await rt.store.get(release.releaseId))?.state.phase).toBe("awaiting_promotion");
    expect(clientWrites(cluster.sim, "services", app).filter((w) => w.verb === "patch")).toEqual([]);

    await emit(rt, "cli", ev("PromotionApproved", { by: "alice" }));
    const switched = await eventNamed("TrafficSwitched");
    expect(switched.data).toMatchObject({ from: 1, to: 2 });
    expect(await versionThrough(cluster, ns, app)).toBe("2.0.0");
    expect(await names()).toEqual(["ValidationPassed", "PromotionApproved", "TrafficSwitched"]);
  });
});

describe("traffic-switcher: the switch back", () => {
  test("an abort after the switch puts production back on v1 and confirms it", async () => {
    await secondRelease();
    await start();
    await validating(spec({ replicas: 2 }), 2, 1);
    await passValidation(2);
    await eventNamed("TrafficSwitched");
    expect(await versionThrough(cluster, ns, app)).toBe("2.0.0");

    await emit(rt, "cli", ev("AbortRequested", { by: "alice", reason: "errors in production" }));
    const back = await eventNamed("TrafficSwitchedBack");

    expect(back.data).toMatchObject({ from: 2, to: 1, endpoints: 2 });
    expect(await selectorOf(cluster, ns, app)).toEqual(revisionSelector(app, 1));
    expect(await versionThrough(cluster, ns, app)).toBe("1.0.0");
    expect(clientWrites(cluster.sim, "services", app).filter((w) => w.verb === "patch")).toHaveLength(2);
    const state = (await rt.store.get(release.releaseId))?.state;
    expect(state).toMatchObject({ phase: "rolling_back", needsSwitchBack: false });
    expect(await names()).toEqual(["ValidationPassed", "TrafficSwitched", "AbortRequested", "TrafficSwitchedBack"]);
  });

  test("a promoting deadline that passes while v2 is not ready rolls back with production still on v1 (no patch)", async () => {
    await secondRelease({ replicas: 0 });
    await start({ BATON_DEADLINE_PROMOTING_S: 1, BATON_MAX_DELIVER: 20 });
    await validating(spec({ replicas: 2 }), 2, 1);

    await passValidation(2);
    const back = await eventNamed("TrafficSwitchedBack");

    expect(back.data).toMatchObject({ from: 2, to: 1, endpoints: 2 });
    // the selector was never patched; the switch back only marked the Service (so a late switch fails its precondition)
    const patches = clientWrites(cluster.sim, "services", app).filter((w) => w.verb === "patch");
    expect(patches.map((w) => w.body)).toEqual([{ metadata: { resourceVersion: expect.any(String), annotations: { "baton.dev/switched-back-by": release.releaseId } } }]);
    expect(await versionThrough(cluster, ns, app)).toBe("1.0.0");
    const state = (await rt.store.get(release.releaseId))?.state;
    expect(state?.phase).toBe("rolling_back");
    expect(state?.outcome?.failures.map((f) => f.name)).toEqual(["promoting-deadline"]);
    expect(await names()).toEqual(["ValidationPassed", "DeadlineExceeded", "TrafficSwitchedBack"]);
  });

  test("when v1's Deployment is gone there is nothing to switch back to: the release fails and production stays on v2", async () => {
    await secondRelease();
    await start();
    await validating(spec({ replicas: 2 }), 2, 1);
    await passValidation(2);
    await eventNamed("TrafficSwitched");
    await cluster.apps.deleteNamespacedDeployment({ name: `${app}-1`, namespace: ns });

    await emit(rt, "cli", ev("AbortRequested", { by: "alice", reason: "errors in production" }));
    const failed = await eventNamed("ReleaseFailed");

    expect(failed.data).toMatchObject({ stage: "traffic-switcher", cause: expect.stringContaining("web-1") });
    expect(await selectorOf(cluster, ns, app)).toEqual(revisionSelector(app, 2));
    expect(await versionThrough(cluster, ns, app)).toBe("2.0.0");
    expect(await names()).toEqual(["ValidationPassed", "TrafficSwitched", "AbortRequested", "ReleaseFailed"]);
  });

  test("an abort before the switch (validating) is not the switcher's: production is untouched", async () => {
    await secondRelease();
    await start();
    await validating(spec({ replicas: 2 }), 2, 1);

    await emit(rt, "cli", ev("AbortRequested", { by: "alice", reason: "changed my mind" }));
    await waitFor("AbortRequested handled", async () => {
      const m = await handle!.rt.metrics.consumed.get();
      return m.values.some((v) => v.labels.event === "AbortRequested" && v.labels.outcome === "ack");
    });

    expect(await names()).toEqual(["AbortRequested"]);
    expect(clientWrites(cluster.sim, "services", app).filter((w) => w.verb === "patch")).toEqual([]);
    expect(await selectorOf(cluster, ns, app)).toEqual(revisionSelector(app, 1));
  });
});
