import { afterEach, beforeEach, describe, expect, test } from "vitest";
import { specInput } from "@baton/contracts/testing";
import { startServices, type ServiceHandle } from "@baton/runtime";
import { openTestRuntime, testConfig, waitFor, type TestRuntime } from "@baton/runtime/testing";
import { plannerService, type IntakeReply } from "../src/index.js";
import { auditMark, clientWrites, startCluster, type Cluster } from "./cluster.js";

// Given the planner's intake, when bad input arrives, then the caller gets every reason (field
// and rule), ReleaseRejected is on the stream, nothing is created in the cluster, and the intake
// keeps serving.

let cluster: Cluster;
let rt: TestRuntime;
let handle: ServiceHandle;
let mark: number;

beforeEach(async () => {
  cluster = await startCluster("shop");
  const config = testConfig({ KUBECONFIG: cluster.kubeconfigPath, BATON_SERVICE_ADDRESS: "load-balancer", BATON_ALLOWED_NAMESPACES: "shop,nowhere" });
  rt = await openTestRuntime("test", config);
  handle = await startServices(config, [plannerService], { http: false });
  mark = auditMark(cluster.sim);
});

afterEach(async () => {
  await handle.stop();
  await rt.cleanup();
  await cluster.close();
});

async function request(payload: string): Promise<IntakeReply> {
  const m = await rt.bus.nc.request(rt.bus.subjects.intake, payload, { timeout: 5000 });
  return m.json<IntakeReply>();
}

const cases: { what: string; payload: string; path: string; rule: RegExp; app: string | null }[] = [
  { what: "not JSON", payload: "{app: web", path: "(body)", rule: /must be JSON/, app: null },
  { what: "an unknown field", payload: JSON.stringify({ ...specInput(), colour: "blue" }), path: "colour", rule: /unknown field/, app: "web" },
  { what: "a threshold above replicas", payload: JSON.stringify(specInput({ replicas: 2, liveThreshold: 3 })), path: "liveThreshold", rule: /must be <= replicas \(2\)/, app: "web" },
  { what: "kube-system", payload: JSON.stringify(specInput({ namespace: "kube-system" })), path: "namespace", rule: /system namespace/, app: "web" },
  { what: "a namespace outside the allowed list", payload: JSON.stringify(specInput({ namespace: "payments" })), path: "namespace", rule: /allowed namespaces \(shop, nowhere\)/, app: "web" },
  { what: "a wrong type", payload: JSON.stringify({ ...specInput(), replicas: "two" }), path: "replicas", rule: /must be a number/, app: "web" },
  { what: "a missing field", payload: JSON.stringify({ app: "web", namespace: "shop" }), path: "image", rule: /is required/, app: "web" },
  { what: "an invalid image reference", payload: JSON.stringify(specInput({ image: "Bad Image!" })), path: "image", rule: /image reference/, app: "web" },
  { what: "an app name that is not DNS-1035", payload: JSON.stringify(specInput({ app: "Web_App" })), path: "app", rule: /DNS-1035/, app: null },
  { what: "an oversized body", payload: JSON.stringify({ ...specInput(), pad: "x".repeat(70_000) }), path: "(body)", rule: /at most 65536 bytes/, app: null },
];

describe("intake: bad input", () => {
  test.each(cases)("$what → a reason naming $path and the rule, ReleaseRejected on the stream, nothing in the cluster", async (c) => {
    const reply = await request(c.payload);

    expect(reply.ok).toBe(false);
    if (reply.ok) return;
    expect(reply.reasons).toEqual(expect.arrayContaining([expect.objectContaining({ path: c.path, rule: expect.stringMatching(c.rule) })]));
    const events = await waitFor("ReleaseRejected on the stream", async () => {
      const e = await rt.bus.releaseEvents(reply.releaseId);
      return e.length > 0 ? e : undefined;
    });
    expect(events.map((e) => e.name)).toEqual(["ReleaseRejected"]);
    expect(events[0]?.data).toMatchObject({ releaseId: reply.releaseId, app: c.app, reasons: reply.reasons });
    expect((await rt.store.get(reply.releaseId))?.state.phase).toBe("rejected");
    expect(clientWrites(cluster.sim, mark)).toEqual([]);
  });

  test("every reason is given at once, and the intake keeps serving: a valid request afterwards is planned", async () => {
    const bad = await request(JSON.stringify({ app: "web", namespace: "kube-system", image: "x y", replicas: 0, colour: 1 }));
    expect(bad.ok).toBe(false);
    if (bad.ok) return;
    expect(bad.reasons?.map((r) => r.path).sort()).toEqual(["colour", "image", "namespace", "replicas"]);

    const good = await request(JSON.stringify(specInput()));
    expect(good.ok).toBe(true);
    await waitFor("ReleasePlanned", async () => (await rt.store.get(good.releaseId ?? ""))?.state.phase === "planned");
    expect(clientWrites(cluster.sim, mark)).toEqual([]);
  });

  test("a CloudEvent keeps its provenance: the caller's source, id and subject in the stored ReleaseRequested (requestedVia), beside the intake's own envelope", async () => {
    const ce = { specversion: "1.0", id: "build-881", source: "https://ci.example.com/shop/web", subject: "main@4f2c1e0", type: "dev.baton.release.requested.v1", data: specInput() };
    const reply = await request(JSON.stringify(ce));
    expect(reply.ok).toBe(true);
    const events = await waitFor("ReleaseRequested on the stream", async () => {
      const e = await rt.bus.releaseEvents(reply.releaseId);
      return e.length > 0 ? e : undefined;
    });
    expect(events[0]).toMatchObject({ name: "ReleaseRequested", source: "baton/intake", data: { requestedVia: { source: "https://ci.example.com/shop/web", id: "build-881", subject: "main@4f2c1e0" } } });
    expect((await rt.store.get(reply.releaseId))?.state.requestedVia).toEqual({ source: "https://ci.example.com/shop/web", id: "build-881", subject: "main@4f2c1e0" });
    const bare = await request(JSON.stringify(specInput({ app: "cart" })));
    const plain = await waitFor("the bare request", async () => (await rt.bus.releaseEvents(bare.releaseId))[0]);
    expect(plain.data).not.toHaveProperty("requestedVia");
  });
});
