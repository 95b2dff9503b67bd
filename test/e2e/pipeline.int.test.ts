import { afterEach, describe, expect, test } from "vitest";
import { startBaton, names, testDatabase, type Baton } from "../harness.js";

// Issue 4, end to end: the five stages against the test cluster (kube-sim or a real API server), real NATS, Redis and PostgreSQL, driven
// through the public intake only.

let baton: Baton | undefined;
const cleanups: (() => Promise<void>)[] = [];
afterEach(async () => {
  await baton?.stop();
  baton = undefined;
  for (const c of cleanups.splice(0).reverse()) await c();
});

const SECRET_PASSWORD = "Sup3r-S3cret-pw-4711";

async function given(b: Baton, dbUrl?: string): Promise<void> {
  if (dbUrl) {
    for (const stage of ["planner", "reaper"] as const) await b.cluster.grantSecrets(stage, ["web-v1-db"]); // the planner checks its label
    await b.core.createNamespacedSecret({
      namespace: b.ns,
      body: { metadata: { name: "web-v1-db", labels: { "baton.dev/app": "web" } }, stringData: { url: dbUrl } },
    });
  }
}

// v1 drains like a well-behaved app: on SIGTERM it answers what its keep-alive clients send with
// `Connection: close` for up to 2 s, so they reconnect (to v2) at a response boundary.
const v1 = {
  image: "baton.dev/demo-app:1.0.0",
  replicas: 2,
  template: { spec: { containers: [{ name: "app", env: [{ name: "DEMO_DRAIN_MS", value: "2000" }] }] } },
  validation: {
    tests: [
      { name: "health", request: { path: "/healthz" }, expect: { status: 200 } },
      { name: "version", request: { path: "/version" }, expect: { status: 200, bodyContains: "1.0.0" } },
    ],
    warmup: { requests: 50, concurrency: 5, paths: ["/", "/catalog"], maxErrorRate: 0 },
  },
};

function v2(extra: Record<string, unknown> = {}) {
  return {
    image: "baton.dev/demo-app:2.0.0",
    replicas: 2,
    validation: {
      tests: [{ name: "version", request: { path: "/version" }, expect: { status: 200, bodyContains: "2.0.0", maxLatencyMs: 1000 } }],
      warmup: { requests: 100, concurrency: 10, paths: ["/"], maxErrorRate: 0 },
    },
    shutdown: { delaySeconds: 1, gracePeriodSeconds: 1 },
    ...extra,
  };
}

describe("a release from request to completion", () => {
  test("first release, then a second under production traffic: exact events, zero failed requests, v1 gone, SQL clean-up once, no secret leaked", async () => {
    const db = await testDatabase(`baton_e2e_${Date.now() % 1_000_000}`);
    cleanups.push(db.drop);
    await db.query("CREATE SCHEMA web_v1; CREATE TABLE web_v1.carts (id int)");
    const dbUrl = db.url.replace("postgres@", `postgres:${SECRET_PASSWORD}@`);
    baton = await startBaton();
    await given(baton, dbUrl);

    // When the app's first release runs
    const first = await baton.releaseOk(v1);
    const firstEnd = await baton.waitForEnd(first);
    // Then it comes up, is validated and becomes production, with no v1 to shut down
    expect(firstEnd.phase).toBe("completed");
    expect(names(await baton.events(first))).toEqual([
      "ReleaseRequested", "ReleasePlanned", "PodsLive", "ValidationPassed", "TrafficSwitched", "ReleaseCompleted",
    ]);

    // Given steady production traffic on v1
    const traffic = await baton.productionTraffic("web", baton.ns, { clients: 8 });
    await new Promise((r) => setTimeout(r, 300));

    // When v2 is released, with a post-release clean-up of v1's database schema
    const second = await baton.releaseOk(
      v2({
        postRelease: [
          { name: "drop-v1-schema", sql: { connectionSecretRef: { name: "web-v1-db", key: "url" }, statements: ["DROP SCHEMA IF EXISTS web_v1 CASCADE"] } },
        ],
      }),
    );
    const end = await baton.waitForEnd(second);
    await new Promise((r) => setTimeout(r, 300));
    const seen = await traffic.stop();

    // Then the exact event sequence
    expect(end.phase).toBe("completed");
    expect(names(await baton.events(second))).toEqual([
      "ReleaseRequested", "ReleasePlanned", "PodsLive", "ValidationPassed", "TrafficSwitched",
      "DrainDue", "DrainStarted", "ShutdownDue", "ReleaseCompleted",
    ]);
    expect(end).toMatchObject({ revision: 2, previousRevision: 1 });
    // and production traffic saw no failure, v1 before the switch and v2 after
    expect(seen.failed, JSON.stringify(seen.failures)).toBe(0);
    expect(seen.sent).toBeGreaterThan(50);
    expect(Object.keys(seen.versions).sort()).toEqual(["1.0.0", "2.0.0"]);
    // and only v2 is left in the cluster, selected by production and preview
    const deployments = await baton.apps.listNamespacedDeployment({ namespace: baton.ns });
    expect(deployments.items.map((d) => d.metadata?.name)).toEqual(["web-2"]);
    const pods = await baton.core.listNamespacedPod({ namespace: baton.ns });
    expect(new Set(pods.items.map((p) => p.metadata?.labels?.["baton.dev/revision"]))).toEqual(new Set(["2"]));
    const prod = await baton.core.readNamespacedService({ name: "web", namespace: baton.ns });
    expect(prod.spec?.selector).toEqual({ "app.kubernetes.io/name": "web", "baton.dev/revision": "2" });
    const preview = await baton.core.readNamespacedService({ name: "web-preview", namespace: baton.ns }).catch(() => undefined);
    if (preview) expect(preview.spec?.selector?.["baton.dev/revision"]).toBe("2");
    // and the clean-up ran once
    expect((await db.query("SELECT 1 FROM information_schema.schemata WHERE schema_name = 'web_v1'")).rowCount).toBe(0);
    expect((await db.query("SELECT release_id, activity FROM baton_post_release_journal")).rows).toEqual([{ release_id: second, activity: "drop-v1-schema" }]);
    expect(end.postRelease).toMatchObject([{ name: "drop-v1-schema", kind: "sql", ok: true }]);
    // and Redis says completed
    expect((await baton.rt.store.get(second))?.state.phase).toBe("completed");
    // and the database password is nowhere in the stream or the logs
    const raw = await baton.rt.bus.readAll(baton.rt.bus.subjects.eventsStream, baton.rt.bus.subjects.allEvents);
    expect(raw.length).toBeGreaterThan(10);
    expect(raw.map((m) => m.data).join("\n")).not.toContain(SECRET_PASSWORD);
    expect(baton.logs.lines.length).toBeGreaterThan(20);
    expect(baton.logs.text()).not.toContain(SECRET_PASSWORD);
  });

  test("v1 gets SIGTERM only after the switch and the delay; a v1 pod ignoring it is force-deleted when the timer expires, not before", async () => {
    baton = await startBaton();
    await given(baton);
    const first = await baton.releaseOk({
      ...v1,
      template: {
        spec: {
          terminationGracePeriodSeconds: 600,
          containers: [{ name: "app", env: [{ name: "DEMO_IGNORE_SIGTERM", value: "true" }] }],
        },
      },
    });
    expect((await baton.waitForEnd(first)).phase).toBe("completed");
    const second = await baton.releaseOk(
      v2({
        shutdown: { delaySeconds: 1, gracePeriodSeconds: 2 },
        template: { spec: { containers: [{ name: "app", env: [{ name: "DEMO_IGNORE_SIGTERM", value: "false" }] }] } },
      }),
    );
    expect((await baton.waitForEnd(second)).phase).toBe("completed");
    const events = await baton.events(second);
    const at = (name: string) => Date.parse(events.find((e) => e.name === name)?.time ?? "");
    const clientWrites = await baton.clientWrites();
    const scaleDown = clientWrites.filter((a) => a.resource === "deployments" && a.name === "web-1" && (a.subresource === "scale" || a.verb === "patch"));
    const forced = clientWrites.filter((a) => a.resource === "pods" && a.verb === "delete");
    expect(scaleDown).toHaveLength(1);
    expect(forced).toHaveLength(2); // both v1 pods ignored SIGTERM and were still there
    // SIGTERM (the scale to zero) after the switch plus the 1 s delay
    expect(Date.parse(scaleDown[0]!.time)).toBeGreaterThanOrEqual(at("TrafficSwitched") + 1000);
    // force-kill only once the 2 s grace timer expired
    for (const f of forced) expect(Date.parse(f.time)).toBeGreaterThanOrEqual(at("DrainStarted") + 2000 - 50);
    expect(at("ShutdownDue")).toBeGreaterThanOrEqual(at("DrainStarted") + 2000 - 50);
    const pods = await baton.core.listNamespacedPod({ namespace: baton.ns, labelSelector: "baton.dev/revision=1" });
    expect(pods.items).toHaveLength(0);
  });

  test("two replicas of every stage: the release still creates one Deployment, switches once, deletes once", async () => {
    baton = await startBaton({ replicas: 2 });
    await given(baton);
    expect((await baton.waitForEnd(await baton.releaseOk(v1))).phase).toBe("completed");
    const second = await baton.releaseOk(v2());
    expect((await baton.waitForEnd(second)).phase).toBe("completed");
    const writes = await baton.clientWrites();
    const count = (pred: (a: (typeof writes)[number]) => boolean) => writes.filter(pred).length;
    expect(count((a) => a.verb === "create" && a.resource === "deployments")).toBe(2); // web-1, web-2
    expect(count((a) => a.verb === "create" && a.resource === "deployments" && a.name === "web-2")).toBe(1);
    expect(count((a) => a.resource === "services" && a.name === "web" && (a.verb === "patch" || a.verb === "update"))).toBe(1);
    expect(count((a) => a.verb === "delete" && a.resource === "deployments" && a.name === "web-1")).toBe(1);
  });
});
