import { afterEach, describe, expect, test } from "vitest";
import { listDeadLetters, traceIdOf } from "@baton/runtime";
import { startBaton, names, type Baton } from "../harness.js";

// Issue 5, end to end: what Baton does when things go wrong. Given / When / Then, exact events,
// the cluster afterwards, and what production traffic saw.

let baton: Baton | undefined;
afterEach(async () => {
  await baton?.stop();
  baton = undefined;
});

const DRAIN = { name: "DEMO_DRAIN_MS", value: "2000" };
const v1 = {
  image: "baton.dev/demo-app:1.0.0",
  replicas: 2,
  template: { spec: { containers: [{ name: "app", env: [DRAIN] }] } },
};
const check = (version: string) => ({
  tests: [{ name: "version", request: { path: "/version" }, expect: { status: 200, bodyContains: version } }],
});

async function withV1(opts: Parameters<typeof startBaton>[0] = {}): Promise<Baton> {
  const b = await startBaton(opts);
  const first = await b.releaseOk({ ...v1, validation: check("1.0.0") });
  const end = await b.waitForEnd(first);
  expect(end.phase, JSON.stringify(end.outcome)).toBe("completed");
  return b;
}

async function deploymentsOf(b: Baton): Promise<string[]> {
  return (await b.apps.listNamespacedDeployment({ namespace: b.ns })).items.map((d) => d.metadata?.name ?? "").sort();
}

async function productionRevision(b: Baton): Promise<string | undefined> {
  return (await b.core.readNamespacedService({ name: "web", namespace: b.ns })).spec?.selector?.["baton.dev/revision"];
}

describe("validation fails", () => {
  test("v2 is torn down, production never leaves v1, and the rollback carries every failed check", async () => {
    baton = await withV1();
    const traffic = await baton.productionTraffic("web", baton.ns);
    // When v2 answers a version the tests do not expect, and is slower than they allow
    const id = await baton.releaseOk({
      image: "baton.dev/demo-app:2.0.0",
      replicas: 2,
      template: { spec: { containers: [{ name: "app", env: [DRAIN, { name: "DEMO_LATENCY_MS", value: "30" }] }] } },
      validation: {
        tests: [
          { name: "health", request: { path: "/healthz" }, expect: { status: 200 } },
          { name: "version", request: { path: "/version" }, expect: { status: 200, bodyContains: "9.9.9" } },
          { name: "fast", request: { path: "/" }, expect: { status: 200, maxLatencyMs: 5 } },
        ],
      },
    });
    const end = await baton.waitForEnd(id);
    const seen = await traffic.stop();
    // Then
    expect(end.phase).toBe("rolled_back");
    expect(names(await baton.events(id))).toEqual(["ReleaseRequested", "ReleasePlanned", "PodsLive", "ValidationFailed", "ReleaseRolledBack"]);
    expect(end.outcome?.failures.map((f) => f.name)).toEqual(["version", "fast"]);
    const version = end.outcome?.failures.find((f) => f.name === "version");
    expect(version?.expected).toContain("9.9.9");
    expect(version?.got).toContain("2.0.0");
    expect(await deploymentsOf(baton)).toEqual(["web-1"]);
    expect(await productionRevision(baton)).toBe("1");
    expect(seen.failed, JSON.stringify(seen.failures)).toBe(0);
    expect(Object.keys(seen.versions)).toEqual(["1.0.0"]);
    expect((await baton.clientWrites()).filter((w) => w.resource === "services" && w.name === "web" && w.verb !== "create")).toEqual([]);
  });
});

describe("v2 never becomes ready", () => {
  test("a readiness probe that never passes: PodsFailed after podsLiveTimeoutSeconds naming the pods, then the same rollback", async () => {
    baton = await withV1();
    const id = await baton.releaseOk({
      image: "baton.dev/demo-app:2.0.0",
      replicas: 2,
      podsLiveTimeoutSeconds: 2,
      template: {
        spec: {
          containers: [{ name: "app", env: [{ name: "DEMO_NEVER_READY", value: "true" }], readinessProbe: { httpGet: { path: "/healthz", port: 8080 }, periodSeconds: 1 } }],
        },
      },
    });
    const end = await baton.waitForEnd(id);
    const events = await baton.events(id);
    expect(end.phase).toBe("rolled_back");
    expect(names(events)).toEqual(["ReleaseRequested", "ReleasePlanned", "DeadlineExceeded", "PodsFailed", "ReleaseRolledBack"]);
    const failed = events.find((e) => e.name === "PodsFailed");
    expect(failed?.data).toMatchObject({ ready: 0, desired: 2 });
    expect((failed?.data as { pods: unknown[] }).pods).toHaveLength(2);
    expect(Date.parse(failed!.time) - Date.parse(events[1]!.time)).toBeGreaterThanOrEqual(2000 - 50);
    // the deadline fired by a timer is part of the release's one trace
    const traces = new Set(events.map((e) => traceIdOf(e.traceparent)));
    expect(traces.size).toBe(1);
    expect([...traces][0]).toMatch(/^[0-9a-f]{32}$/);
    expect(await deploymentsOf(baton)).toEqual(["web-1"]);
    expect(await productionRevision(baton)).toBe("1");
  });

  test("an image that cannot be pulled: PodsFailed says why", async () => {
    baton = await withV1();
    const id = await baton.releaseOk({ image: "registry.example.com/shop/web:2.0.0", replicas: 1, podsLiveTimeoutSeconds: 1 });
    const end = await baton.waitForEnd(id);
    expect(end.phase).toBe("rolled_back");
    expect(end.outcome?.reason).toMatch(/ErrImagePull|ImagePullBackOff/);
    expect(await deploymentsOf(baton)).toEqual(["web-1"]);
  });
});

describe("manual promotion", () => {
  test("waits in awaiting_promotion until `baton promote`, then completes", async () => {
    baton = await withV1();
    const id = await baton.releaseOk({ image: "baton.dev/demo-app:2.0.0", replicas: 2, promotion: "manual", validation: check("2.0.0"), shutdown: { delaySeconds: 0, gracePeriodSeconds: 1 } });
    await baton.waitForPhase(id, "awaiting_promotion");
    await new Promise((r) => setTimeout(r, 500));
    expect((await baton.rt.store.get(id))?.state.phase).toBe("awaiting_promotion");
    expect(await productionRevision(baton)).toBe("1");
    expect(await baton.control(id, "PromotionApproved")).toMatchObject({ accepted: true });
    const end = await baton.waitForEnd(id);
    expect(end).toMatchObject({ phase: "completed", approvedBy: "e2e" });
    expect(names(await baton.events(id))).toEqual([
      "ReleaseRequested", "ReleasePlanned", "PodsLive", "ValidationPassed", "PromotionApproved", "TrafficSwitched",
      "DrainDue", "DrainStarted", "ShutdownDue", "ReleaseCompleted",
    ]);
    // a second promote is refused with the reason
    expect(await baton.control(id, "PromotionApproved")).toMatchObject({ accepted: false, reason: expect.stringContaining("already ended") });
  });

  test("nobody promotes: the promotion deadline rolls it back, production still on v1", async () => {
    baton = await withV1();
    const id = await baton.releaseOk({ image: "baton.dev/demo-app:2.0.0", replicas: 1, promotion: "manual", promotionTimeoutSeconds: 1 });
    const end = await baton.waitForEnd(id);
    expect(end.phase).toBe("rolled_back");
    expect(names(await baton.events(id))).toEqual(["ReleaseRequested", "ReleasePlanned", "PodsLive", "ValidationPassed", "DeadlineExceeded", "ReleaseRolledBack"]);
    expect(end.outcome?.failures[0]?.name).toBe("awaiting_promotion-deadline");
    expect(await productionRevision(baton)).toBe("1");
    expect(await deploymentsOf(baton)).toEqual(["web-1"]);
  });
});

describe("abort", () => {
  test("before the switch: rolled back, production untouched", async () => {
    baton = await withV1();
    const id = await baton.releaseOk({ image: "baton.dev/demo-app:2.0.0", replicas: 1, promotion: "manual" });
    await baton.waitForPhase(id, "awaiting_promotion");
    expect(await baton.control(id, "AbortRequested", "wrong build")).toMatchObject({ accepted: true });
    const end = await baton.waitForEnd(id);
    expect(end.phase).toBe("rolled_back");
    expect(end.outcome?.reason).toContain("wrong build");
    expect(names(await baton.events(id)).slice(-2)).toEqual(["AbortRequested", "ReleaseRolledBack"]);
    expect(await deploymentsOf(baton)).toEqual(["web-1"]);
  });

  test("after the switch while v1 still runs: production goes back to v1 first, then v2 is torn down, no request fails", async () => {
    baton = await withV1();
    const traffic = await baton.productionTraffic("web", baton.ns);
    const id = await baton.releaseOk({
      image: "baton.dev/demo-app:2.0.0",
      replicas: 2,
      validation: check("2.0.0"),
      shutdown: { delaySeconds: 60, gracePeriodSeconds: 1 },
    });
    await baton.waitForPhase(id, "switched");
    await new Promise((r) => setTimeout(r, 300));
    expect(await productionRevision(baton)).toBe("2");
    expect(await baton.control(id, "AbortRequested", "errors in production")).toMatchObject({ accepted: true });
    const end = await baton.waitForEnd(id);
    await new Promise((r) => setTimeout(r, 300));
    const seen = await traffic.stop();
    expect(end.phase).toBe("rolled_back");
    expect(names(await baton.events(id))).toEqual([
      "ReleaseRequested", "ReleasePlanned", "PodsLive", "ValidationPassed", "TrafficSwitched",
      "AbortRequested", "TrafficSwitchedBack", "ReleaseRolledBack",
    ]);
    expect(await productionRevision(baton)).toBe("1");
    expect(await deploymentsOf(baton)).toEqual(["web-1"]);
    expect(seen.failed, JSON.stringify(seen.failures)).toBe(0);
    // no timer of the aborted release fires later: v1 is never drained
    await new Promise((r) => setTimeout(r, 500));
    expect((await baton.clientWrites()).filter((w) => w.name === "web-1" && w.verb !== "create")).toEqual([]);
  });

  test("once v1 is shutting down it is refused, with a reason that says so", async () => {
    baton = await withV1();
    const id = await baton.releaseOk({ image: "baton.dev/demo-app:2.0.0", replicas: 1, shutdown: { delaySeconds: 0, gracePeriodSeconds: 30 } });
    await baton.waitForPhase(id, "draining");
    const r = await baton.control(id, "AbortRequested");
    expect(r).toMatchObject({ accepted: false });
    expect(r.reason).toContain("v1 is already shutting down");
  });
});

describe("one release of an app at a time; fencing", () => {
  test("a second request while one runs is rejected naming the running release; a late event of the older one changes nothing", async () => {
    baton = await withV1();
    const running = await baton.releaseOk({ image: "baton.dev/demo-app:2.0.0", replicas: 1, promotion: "manual" });
    await baton.waitForPhase(running, "awaiting_promotion");
    const second = await baton.release({ image: "baton.dev/demo-app:3.0.0", replicas: 1 });
    expect(second.ok).toBe(true); // accepted at the intake, rejected by the planner once it sees the lock
    const rejected = await baton.waitForEnd((second as { releaseId: string }).releaseId);
    expect(rejected.phase).toBe("rejected");
    expect(rejected.outcome?.reasons[0]).toMatchObject({ path: "app", rule: "one-release-at-a-time" });
    expect(rejected.outcome?.reason).toContain(running);
    // finish the running one; then the app is free again
    await baton.control(running, "AbortRequested");
    expect((await baton.waitForEnd(running)).phase).toBe("rolled_back");
    const third = await baton.releaseOk({ image: "baton.dev/demo-app:3.0.0", replicas: 1, validation: check("3.0.0"), shutdown: { delaySeconds: 0, gracePeriodSeconds: 0 } });
    expect((await baton.waitForEnd(third)).phase).toBe("completed");
    // a late event of the rolled-back release (re-published as if delayed) changes nothing
    const writes = (await baton.clientWrites()).length;
    const late = (await baton.events(running)).find((e) => e.name === "PodsLive")!;
    const { name: _n, ...wire } = late;
    await baton.rt.bus.publishRaw(baton.rt.bus.subjects.event("PodsLive", baton.ns, "web", running), JSON.stringify(wire), "late-redelivery");
    await new Promise((r) => setTimeout(r, 700));
    expect((await baton.rt.store.get(running))?.state.phase).toBe("rolled_back");
    expect((await baton.clientWrites()).length).toBe(writes);
    expect(await productionRevision(baton)).toBe("3");
  });
});

describe("bad input", () => {
  test("each bad request is rejected naming the field and the rule; nothing is created; the services keep serving", async () => {
    baton = await startBaton();
    const cases: [Record<string, unknown>, string, RegExp][] = [
      [{ image: "baton.dev/demo-app:1.0.0", replicas: "two" }, "replicas", /number/i],
      [{ image: "Not An Image!" }, "image", /image reference/],
      [{ image: "baton.dev/demo-app:1.0.0", app: "Web_App" }, "app", /DNS-1035/],
      [{ image: "baton.dev/demo-app:1.0.0", namespace: "kube-system" }, "namespace", /never|not allowed|forbidden/i],
      [{ image: "baton.dev/demo-app:1.0.0", replicas: 2, liveThreshold: 3 }, "liveThreshold", /replicas/],
      [{ image: "baton.dev/demo-app:1.0.0", colour: "blue" }, "colour", /unknown field/],
      [{ app: "web", namespace: baton.ns, image: undefined }, "image", /required|expected string/i],
    ];
    for (const [body, field, rule] of cases) {
      const reply = await baton.release(body);
      expect(reply.ok, JSON.stringify(body)).toBe(false);
      const reasons = (reply as { reasons?: { path: string; message: string; rule: string }[] }).reasons ?? [];
      const reason = reasons.find((r) => r.path === field || r.path.endsWith(`.${field}`));
      expect(reason, `${field}: ${JSON.stringify(reasons)}`).toBeDefined();
      expect(`${reason!.rule} ${reason!.message}`).toMatch(rule);
    }
    // not JSON at all, and an oversized body
    for (const raw of ["{ this is not json", JSON.stringify({ image: "baton.dev/demo-app:1.0.0", pad: "x".repeat(70_000) })]) {
      const m = await baton.rt.bus.nc.request(baton.rt.bus.subjects.intake, raw, { timeout: 5000 });
      expect(m.json<{ ok: boolean; reasons: unknown[] }>()).toMatchObject({ ok: false, reasons: [expect.anything()] });
    }
    expect((await baton.clientWrites()).filter((w) => w.resource !== "namespaces")).toEqual([]);
    // and a valid release afterwards completes
    const ok = await baton.releaseOk({ ...v1 });
    expect((await baton.waitForEnd(ok)).phase).toBe("completed");
  });

  test("a message that makes a handler fail lands in the dead-letter stream with its error, and does not block others", async () => {
    baton = await startBaton({ overrides: { BATON_MAX_DELIVER: 2 } });
    await baton.rt.bus.publishRaw(baton.rt.bus.subjects.event("ReleasePlanned", baton.ns, "web", "broken-1"), "{ not an event", "broken-1");
    const letters = await (async () => {
      for (let i = 0; i < 100; i++) {
        const l = await listDeadLetters(baton!.rt.bus);
        if (l.length > 0) return l;
        await new Promise((r) => setTimeout(r, 100));
      }
      return [];
    })();
    expect(letters).toHaveLength(1);
    expect(letters[0]).toMatchObject({ stage: "pod-manager", event: "ReleasePlanned", kind: "terminal" });
    expect(letters[0]!.error).toMatch(/not a valid event/);
    const ok = await baton.releaseOk({ ...v1 });
    expect((await baton.waitForEnd(ok)).phase).toBe("completed");
  });
});

describe("deadlines whichever service is down", () => {
  test("no validator running: the validation deadline rolls the release back", async () => {
    baton = await startBaton({ without: ["validator"] });
    const id = await baton.releaseOk({ ...v1, validation: { ...check("1.0.0"), timeoutSeconds: 1 } });
    const end = await baton.waitForEnd(id);
    expect(end.phase).toBe("rolled_back");
    expect(names(await baton.events(id))).toEqual(["ReleaseRequested", "ReleasePlanned", "PodsLive", "DeadlineExceeded", "ReleaseRolledBack"]);
    expect(await deploymentsOf(baton)).toEqual([]);
  });
});
