import { setTimeout as sleep } from "node:timers/promises";
import { afterEach, describe, expect, test } from "vitest";
import { startNatsServer, startRedisServer, waitFor, type ServerProcess } from "@baton/runtime/testing";
import { given, sideEffects, startRig, type Rig, POD_PORT } from "./rig.js";

// NATS and Redis die mid-release (kill -9) and come back on the same port and data folder: the
// release completes with its exact event sequence and each side effect once. JetStream keeps the
// stream on file storage; Redis runs with appendonly yes (appendfsync always), so release state
// and timer deadlines survive.

let rig: Rig | undefined;
const servers: ServerProcess[] = [];
afterEach(async () => {
  await rig?.stop();
  rig = undefined;
  for (const s of servers.splice(0)) await s.kill();
});

async function ownInfra(): Promise<{ nats: ServerProcess; redis: ServerProcess; rig: Rig }> {
  const nats = await startNatsServer();
  const redis = await startRedisServer({ appendonly: true });
  servers.push(nats, redis);
  rig = await startRig({ overrides: { BATON_NATS_URL: nats.url, BATON_REDIS_URL: redis.url } });
  await given(rig);
  return { nats, redis, rig };
}

const v1 = { app: "web", image: "baton.dev/demo-app:1.0.0", replicas: 2 };
const v2 = (extra: Record<string, unknown>) => ({
  app: "web",
  image: "baton.dev/demo-app:2.0.0",
  replicas: 2,
  validation: { tests: [{ name: "version", request: { path: "/version" }, expect: { status: 200, bodyContains: "2.0.0" } }] },
  ...extra,
});
const SECOND = ["ReleaseRequested", "ReleasePlanned", "PodsLive", "ValidationPassed", "TrafficSwitched", "DrainDue", "DrainStarted", "ShutdownDue", "ReleaseCompleted"];

async function expectCompletedOnce(r: Rig, releaseId: string): Promise<void> {
  const end = await r.waitForEnd(releaseId);
  expect(end.phase, JSON.stringify(end.outcome)).toBe("completed");
  expect([...new Map((await r.events(releaseId)).map((e) => [e.id, e.name])).values()]).toEqual(SECOND);
  expect(await r.events(releaseId)).toHaveLength(SECOND.length); // nothing stored twice
  expect(sideEffects(r.writes(), "web", 2, 1)).toEqual({
    deploymentCreated: 1, productionSwitched: 1, productionCreated: 1, v1ScaledToZero: 1, v1PodsForced: 0, v1Deleted: 1,
  });
}

describe("NATS and Redis restarts mid-release", () => {
  test("NATS kill -9 while v2 pods come up, back once they are Ready (the PodsLive publish meets the outage): the release completes", async () => {
    const { nats, rig: r } = await ownInfra();
    expect((await r.waitForEnd(await r.releaseOk(v1))).phase).toBe("completed");
    const probe = { readinessProbe: { httpGet: { path: "/healthz", port: POD_PORT }, periodSeconds: 1 } };
    const id = await r.releaseOk(
      v2({ shutdown: { delaySeconds: 0, gracePeriodSeconds: 1 }, template: { spec: { containers: [{ name: "app", env: [{ name: "DEMO_START_DELAY_MS", value: "1500" }], ...probe }] } } }),
    );
    await r.waitForPhase(id, "planned");
    await nats.kill("SIGKILL");
    // the outage lasts until v2 is Ready, so pod-manager's PodsLive has nowhere to go
    await waitFor("v2 pods Ready during the outage", async () => {
      const d = await r.apps.readNamespacedDeployment({ name: "web-2", namespace: "shop" });
      return (d.status?.readyReplicas ?? 0) >= 2;
    }, 15_000, 100);
    expect((await r.state(id))?.phase).toBe("planned");
    await nats.restart();
    await expectCompletedOnce(r, id);
    for (const p of r.procs.values()) expect(p.alive()).toBe(true); // the services rode the outage out
  });

  test("Redis kill -9 (appendonly) while v2 is `switched` with its DrainDue timer pending, back after it fell due: state and timer survive, it fires once", async () => {
    const { redis, rig: r } = await ownInfra();
    expect((await r.waitForEnd(await r.releaseOk(v1))).phase).toBe("completed");
    const id = await r.releaseOk(v2({ shutdown: { delaySeconds: 2, gracePeriodSeconds: 1 } }));
    const switched = await r.waitForPhase(id, "switched");
    // the reaper schedules DrainDue when it handles TrafficSwitched: wait for it to be in Redis
    await waitFor("DrainDue to be pending in Redis", async () => (await r.rt.timers.pending()) > 0, 10_000, 20);
    await redis.kill("SIGKILL");
    // down until the DrainDue deadline has passed
    await sleep(Math.max(0, Date.parse(switched.enteredAt.switched ?? "") + 2500 - Date.now()));
    await redis.restart();
    const after = await waitFor("Redis back", () => r.rt.store.get(id).catch(() => undefined), 10_000, 50);
    expect(["switched", "draining", "finalizing", "completed"]).toContain(after?.state.phase);
    expect(after?.state.releaseId).toBe(id);
    await expectCompletedOnce(r, id);
    for (const p of r.procs.values()) expect(p.alive()).toBe(true);
  });
});
