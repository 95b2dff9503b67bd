import { afterAll, beforeAll, describe, expect, test } from "vitest";
import { makeEvent, ReleaseSpec, type ReleaseState } from "@baton/contracts";
import { requestControl } from "@baton/cli";
import { emit, newReleaseId } from "@baton/runtime";
import { waitFor } from "@baton/runtime/testing";
import { testDatabase } from "../harness.js";
import { given, sideEffects, startRig, type Rig, POD_PORT } from "./rig.js";

// kill -9 of each of the five stage processes while a release is in a phase that stage owns, then
// a restart of the same stage: the release completes, and kube-sim's record of API writes shows
// every side effect exactly once. One rig (five `baton serve` processes) for the file; each test
// releases its own app.

let rig: Rig;
beforeAll(async () => {
  rig = await startRig();
  await given(rig);
}, 120_000);
afterAll(async () => {
  await rig?.stop();
});

const v1 = (app: string, extra: Record<string, unknown> = {}) => ({ app, image: "baton.dev/demo-app:1.0.0", replicas: 2, ...extra });
const v2 = (app: string, extra: Record<string, unknown> = {}) => ({
  app,
  image: "baton.dev/demo-app:2.0.0",
  replicas: 2,
  validation: { tests: [{ name: "version", request: { path: "/version" }, expect: { status: 200, bodyContains: "2.0.0" } }] },
  shutdown: { delaySeconds: 0, gracePeriodSeconds: 1 },
  ...extra,
});
const env = (vars: Record<string, string>, more: Record<string, unknown> = {}) => ({
  template: { spec: { containers: [{ name: "app", env: Object.entries(vars).map(([name, value]) => ({ name, value })), ...more }] } },
});
/** Ready only once the app answers /healthz (without a probe a pod is Ready as soon as it runs). */
const probe = { readinessProbe: { httpGet: { path: "/healthz", port: POD_PORT }, periodSeconds: 1 } };

/** v1 of `app`, released and completed before the fault. */
async function firstRelease(app: string, extra: Record<string, unknown> = {}): Promise<void> {
  const id = await rig.releaseOk(v1(app, extra));
  expect((await rig.waitForEnd(id)).phase).toBe("completed");
}

/** kill -9, checks the release was still in `phase` when the process died, starts the stage again. */
async function killAndRestart(stage: string, releaseId: string, phase: string): Promise<void> {
  const before = rig.procs.get(stage)?.pid;
  await rig.kill(stage);
  expect((await rig.state(releaseId))?.phase, "the kill landed inside the phase").toBe(phase);
  const after = await rig.start(stage);
  expect(after.pid).not.toBe(before);
}

function expectOnce(app: string, end: ReleaseState, v1PodsForced = 0): void {
  expect(end.phase, JSON.stringify(end.outcome)).toBe("completed");
  expect(sideEffects(rig.writes(), app, 2, 1)).toEqual({
    deploymentCreated: 1,
    productionSwitched: 1,
    productionCreated: 1, // by v1's release
    v1ScaledToZero: 1,
    v1PodsForced,
    v1Deleted: 1,
  });
}

describe("kill -9 of a stage in a phase it owns, then a restart", () => {
  test("planner, release in `requested`: planned once after the restart", async () => {
    await firstRelease("alpha");
    // Given the planner is down when a release is requested (the request is recorded and on the stream)
    await rig.kill("planner");
    const releaseId = newReleaseId();
    const spec = ReleaseSpec.parse({ namespace: "shop", port: POD_PORT, ...v2("alpha") });
    const requested = makeEvent("ReleaseRequested", { releaseId, app: "alpha", namespace: "shop", spec }, { source: "intake", time: new Date().toISOString() });
    expect((await emit(rig.rt, "intake", requested)).emitted).toBe(true);
    expect((await rig.state(releaseId))?.phase).toBe("requested");
    // When the planner comes back
    await rig.start("planner");
    // Then the release completes, with every side effect once
    const end = await rig.waitForEnd(releaseId);
    expectOnce("alpha", end);
    expect(end.revision).toBe(2);
  });

  test("pod-manager, release in `planned` (Deployment created, pods starting): no second create", async () => {
    await firstRelease("bravo");
    const id = await rig.releaseOk(v2("bravo", env({ DEMO_START_DELAY_MS: "4000" }, probe)));
    await rig.waitForPhase(id, "planned");
    await waitFor("bravo-2 to exist", () => rig.apps.readNamespacedDeployment({ name: "bravo-2", namespace: "shop" }).then(() => true, () => false));
    await killAndRestart("pod-manager", id, "planned");
    expectOnce("bravo", await rig.waitForEnd(id));
  });

  test("validator, release in `validating` (warm-up in flight): validated after the restart, nothing written twice", async () => {
    await firstRelease("charlie");
    const id = await rig.releaseOk(
      v2("charlie", {
        ...env({ DEMO_LATENCY_MS: "25" }),
        validation: { tests: [{ name: "version", request: { path: "/version" }, expect: { status: 200, bodyContains: "2.0.0" } }], warmup: { requests: 300, concurrency: 3, paths: ["/"], maxErrorRate: 0 } },
      }),
    );
    await rig.waitForPhase(id, "validating");
    await killAndRestart("validator", id, "validating");
    const end = await rig.waitForEnd(id);
    expectOnce("charlie", end);
    const names = (await rig.events(id)).map((e) => e.name);
    expect(names.filter((n) => n === "ValidationPassed")).toHaveLength(1);
  });

  test("traffic-switcher, release in `awaiting_promotion`, promoted while it is down: switched once", async () => {
    await firstRelease("delta");
    const id = await rig.releaseOk(v2("delta", { promotion: "manual" }));
    await rig.waitForPhase(id, "awaiting_promotion");
    await rig.kill("traffic-switcher");
    expect((await requestControl(rig.rt, id, "PromotionApproved", { by: "reliability" })).accepted).toBe(true);
    await rig.start("traffic-switcher");
    const end = await rig.waitForEnd(id);
    expectOnce("delta", end);
    const prod = await rig.core.readNamespacedService({ name: "delta", namespace: "shop" });
    expect(prod.spec?.selector?.["baton.dev/revision"]).toBe("2");
  });

  test("reaper, killed in `switched`, in `draining` and in `finalizing` (SQL running): one scale-down, one force delete per pod, one SQL run", async () => {
    const db = await testDatabase(`baton_rel_kill_${process.pid}`);
    try {
      await db.query("CREATE TABLE runs (n int)");
      await rig.core.createNamespacedSecret({ namespace: "shop", body: { metadata: { name: "echo-db", labels: { "baton.dev/app": "echo" } }, stringData: { url: db.url } } });
      // v1 ignores SIGTERM, so the grace timer has pods to force down
      await firstRelease("echo", { template: { spec: { terminationGracePeriodSeconds: 600, containers: [{ name: "app", env: [{ name: "DEMO_IGNORE_SIGTERM", value: "true" }] }] } } });
      const id = await rig.releaseOk(
        v2("echo", {
          ...env({ DEMO_IGNORE_SIGTERM: "false" }),
          shutdown: { delaySeconds: 2, gracePeriodSeconds: 2 },
          postRelease: [{ name: "count-run", sql: { connectionSecretRef: { name: "echo-db", key: "url" }, statements: ["INSERT INTO runs VALUES (1)", "SELECT pg_sleep(1.5)"] } }],
        }),
      );
      await rig.waitForPhase(id, "switched");
      await killAndRestart("reaper", id, "switched");
      await rig.waitForPhase(id, "draining");
      await killAndRestart("reaper", id, "draining");
      await rig.waitForPhase(id, "finalizing");
      await waitFor("the post-release SQL to be running", async () => (await db.query("SELECT 1 FROM pg_stat_activity WHERE query LIKE 'SELECT pg_sleep%' AND state = 'active'")).rowCount === 1, 10_000);
      await killAndRestart("reaper", id, "finalizing");
      const end = await rig.waitForEnd(id);
      // both v1 pods ignored SIGTERM: each force-deleted once (by the reaper that was then killed)
      expectOnce("echo", end, 2);
      const forced = rig.writes().filter((a) => a.resource === "pods" && a.verb === "delete" && (a.name ?? "").startsWith("echo-1-"));
      expect(new Set(forced.map((a) => a.name)).size).toBe(2);
      expect((await db.query("SELECT count(*)::int AS n FROM runs")).rows).toEqual([{ n: 1 }]);
      expect((await db.query("SELECT release_id FROM baton_post_release_journal")).rows).toEqual([{ release_id: id }]);
      expect(end.postRelease).toMatchObject([{ name: "count-run", ok: true }]);
    } finally {
      await db.drop();
    }
  });
});
