import { afterEach, beforeEach, describe, expect, test } from "vitest";
import { headers } from "@nats-io/transport-node";
import { makeEvent, type AnyEvent, type EventName } from "@baton/contracts";
import { specInput } from "@baton/contracts/testing";
import { record, startServices, type ServiceHandle } from "@baton/runtime";
import { openTestRuntime, testConfig, waitFor, type TestRuntime } from "@baton/runtime/testing";
import { plannerService, type IntakeReply } from "../src/index.js";
import { auditMark, clientWrites, liveRevision, startCluster, type Cluster } from "./cluster.js";

// Given kube-sim with namespace `shop` and a planner (intake + stage) on real NATS and Redis,
// when a release is requested through the intake, then the planner plans it (or rejects it) and
// the stream, the store and the cluster show exactly that.

let cluster: Cluster;
let rt: TestRuntime;
let handle: ServiceHandle;
let mark: number;

beforeEach(async () => {
  cluster = await startCluster("shop");
});

afterEach(async () => {
  await handle?.stop();
  await rt?.cleanup();
  await cluster.close();
});

async function start(overrides: Record<string, string | number> = {}): Promise<void> {
  const config = testConfig({ KUBECONFIG: cluster.kubeconfigPath, BATON_SERVICE_ADDRESS: "load-balancer", ...overrides });
  rt = await openTestRuntime("test", config);
  handle = await startServices(config, [plannerService], { http: false });
  mark = auditMark(cluster.sim);
}

async function request(body: unknown, by?: string): Promise<IntakeReply> {
  const h = headers();
  if (by !== undefined) h.set("Baton-Requested-By", by);
  const payload = typeof body === "string" ? body : JSON.stringify(body);
  const m = await rt.bus.nc.request(rt.bus.subjects.intake, payload, { timeout: 5000, headers: h });
  return m.json<IntakeReply>();
}

async function accepted(body: unknown, by?: string): Promise<string> {
  const reply = await request(body, by);
  if (!reply.ok) throw new Error(`refused: ${JSON.stringify(reply)}`);
  return reply.releaseId;
}

async function eventNamed<N extends EventName>(releaseId: string, name: N): Promise<AnyEvent & { name: N }> {
  return waitFor(`${name} of ${releaseId}`, async () => {
    const events = await rt.bus.releaseEvents(releaseId);
    return events.find((e): e is AnyEvent & { name: N } => e.name === name);
  });
}

async function names(releaseId: string): Promise<EventName[]> {
  return (await rt.bus.releaseEvents(releaseId)).map((e) => e.name);
}

describe("planner: plan-time warnings (issue 20)", () => {
  test("a first release with no readinessProbe is planned with the warning, in the event and the stored state", async () => {
    await start();
    const releaseId = await accepted(specInput({ image: "baton.dev/demo-app:1.0.0" }));
    const planned = await eventNamed(releaseId, "ReleasePlanned");
    const warning = {
      code: "no_readiness_probe",
      message: 'no readinessProbe: pods count as live as soon as they start; validation may reach an app that is still starting (container "app", port 8080)',
    };
    expect(planned.data.warnings).toEqual([warning]);
    expect((await rt.store.get(releaseId))?.state.warnings).toEqual([warning]);
  });

  test("a later release whose v1 has a readinessProbe is planned without warnings (v2 starts from v1's template)", async () => {
    await liveRevision(cluster, "shop", "web", 1, {}, { readinessProbe: { httpGet: { path: "/healthz", port: 8080 } } });
    await start();
    const releaseId = await accepted(specInput({ image: "baton.dev/demo-app:2.0.0" }));
    const planned = await eventNamed(releaseId, "ReleasePlanned");
    expect(planned.data).toMatchObject({ revision: 2, previousRevision: 1 });
    expect(planned.data.warnings).toBeUndefined();
  });
});

describe("planner: planning", () => {
  test("a first release is planned at revision 1 with no previous revision, one trace, and no cluster write", async () => {
    await start();
    const releaseId = await accepted(specInput({ image: "baton.dev/demo-app:1.0.0" }), "alice");

    const planned = await eventNamed(releaseId, "ReleasePlanned");

    expect(planned.data).toMatchObject({ revision: 1, previousRevision: null });
    expect(planned.data.fence).toBeGreaterThanOrEqual(1);
    const [requested] = await rt.bus.releaseEvents(releaseId);
    expect(requested?.name).toBe("ReleaseRequested");
    expect(requested?.data).toMatchObject({ requestedBy: "alice", app: "web", namespace: "shop" });
    expect(requested?.traceparent).toMatch(/^00-[0-9a-f]{32}-[0-9a-f]{16}-01$/);
    expect(planned.traceparent).toBe(requested?.traceparent);
    expect(await names(releaseId)).toEqual(["ReleaseRequested", "ReleasePlanned"]);
    const state = (await rt.store.get(releaseId))?.state;
    expect(state).toMatchObject({ phase: "planned", revision: 1, previousRevision: null });
    expect(await rt.store.lockHolder("shop", "web")).toEqual({ releaseId, fence: planned.data.fence });
    expect(clientWrites(cluster.sim, mark)).toEqual([]); // the planner only reads
  });

  test("with web-1 live behind Service web, a CloudEvent request is planned at revision 2 and keeps the caller's trace", async () => {
    await liveRevision(cluster, "shop", "web", 1);
    await start();
    const traceparent = "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01";
    const body = {
      specversion: "1.0",
      id: "ci-run-42",
      source: "ci",
      type: "dev.baton.release.requested.v1",
      traceparent,
      data: { ...specInput(), releaseId: "ci-42" },
    };

    expect(await request(body)).toEqual({ ok: true, releaseId: "ci-42" });
    const planned = await eventNamed("ci-42", "ReleasePlanned");

    expect(planned.data).toMatchObject({ revision: 2, previousRevision: 1 });
    expect(planned.traceparent).toBe(traceparent);
  });

  test("a bare body with a traceparent header joins the caller's trace", async () => {
    await start();
    const traceparent = "00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01";
    const h = headers();
    h.set("traceparent", traceparent);
    const m = await rt.bus.nc.request(rt.bus.subjects.intake, JSON.stringify(specInput()), { timeout: 5000, headers: h });
    const reply = m.json<IntakeReply>();
    if (!reply.ok) throw new Error("refused");
    const planned = await eventNamed(reply.releaseId, "ReleasePlanned");
    expect(planned.traceparent).toBe(traceparent);
  });

  test("the revision goes above every Deployment of the app, even one production does not select", async () => {
    await liveRevision(cluster, "shop", "web", 1);
    const labels = { "app.kubernetes.io/name": "web", "baton.dev/revision": "7" };
    await cluster.apps.createNamespacedDeployment({
      namespace: "shop",
      body: {
        metadata: { name: "web-7", labels },
        spec: { replicas: 0, selector: { matchLabels: labels }, template: { metadata: { labels }, spec: { containers: [{ name: "app", image: "baton.dev/demo-app:1.0.0" }] } } },
      },
    });
    await start();
    const releaseId = await accepted(specInput());
    const planned = await eventNamed(releaseId, "ReleasePlanned");
    expect(planned.data).toMatchObject({ revision: 8, previousRevision: 1 });
  });

  test("a second request for the same app while the first runs is rejected, naming the first and its phase", async () => {
    await start();
    const first = await accepted(specInput());
    await eventNamed(first, "ReleasePlanned");

    const second = await accepted(specInput({ image: "baton.dev/demo-app:3.0.0" }));
    const rejected = await eventNamed(second, "ReleaseRejected");

    expect(rejected.data.reasons).toEqual([
      expect.objectContaining({ path: "app", rule: "one-release-at-a-time", message: expect.stringContaining(first) }),
    ]);
    expect(rejected.data.reasons[0]?.message).toContain("phase planned");
    expect((await rt.store.get(second))?.state.phase).toBe("rejected");
    expect((await rt.store.get(first))?.state.phase).toBe("planned");
    expect((await rt.store.lockHolder("shop", "web"))?.releaseId).toBe(first);
    expect(await names(second)).toEqual(["ReleaseRequested", "ReleaseRejected"]);
  });

  test("the same releaseId twice is one release: the second reply says duplicate, and nothing is published again", async () => {
    await start();
    const body = { ...specInput(), releaseId: "deploy-web-123" };
    expect(await request(body)).toEqual({ ok: true, releaseId: "deploy-web-123" });
    await eventNamed("deploy-web-123", "ReleasePlanned");

    const again = await request(body);

    expect(again).toEqual({ ok: true, releaseId: "deploy-web-123", duplicate: true, phase: "planned" });
    expect(await names("deploy-web-123")).toEqual(["ReleaseRequested", "ReleasePlanned"]);
  });

  test("a namespace missing from the cluster is rejected by name, and the app's lock is not left behind", async () => {
    await start();
    const releaseId = await accepted(specInput({ namespace: "nowhere" }));
    const rejected = await eventNamed(releaseId, "ReleaseRejected");
    expect(rejected.data.reasons).toEqual([expect.objectContaining({ path: "namespace", rule: "exists", message: expect.stringContaining("nowhere") })]);
    expect(await rt.store.lockHolder("nowhere", "web")).toBeNull();
    expect(clientWrites(cluster.sim, mark)).toEqual([]);
  });

  test("a request nobody planned in time fails at the deadline of phase requested instead of waiting forever", async () => {
    await start({ BATON_DEADLINE_REQUESTED_S: 1 });
    // Recorded straight into the store (as if the planner had missed its message): only the deadline moves it.
    const event = makeEvent(
      "ReleaseRequested",
      { releaseId: "stuck-1", app: "web", namespace: "shop", spec: specInput() },
      { source: "intake", time: new Date().toISOString() },
    );
    await record(rt, event);

    const failed = await eventNamed("stuck-1", "ReleaseFailed");

    expect(failed.data).toMatchObject({ stage: "planner", cause: expect.stringContaining("not planned within 1s") });
    expect((await rt.store.get("stuck-1"))?.state.phase).toBe("failed");
    expect(await names("stuck-1")).toEqual(["DeadlineExceeded", "ReleaseFailed"]);
  });
});
