import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { LABEL_APP, LABEL_MANAGED_BY, LABEL_REVISION, record } from "@baton/runtime";
import { waitFor } from "@baton/runtime/testing";
import { podManagerService } from "../src/index.js";
import { eventNames, isGone, planRelease, startHarness, waitForEvent, writesTo, type Harness } from "./harness.js";

// Failure paths of the pod-manager: an abort while v2 is still starting, a first release rolled
// back after Baton pointed a production Service at it, and a rollback that cannot finish because
// production was never switched back (the rolling_back deadline, set to 2 s here, ends it).

const NS = "shop";
let h: Harness;

beforeAll(async () => {
  h = await startHarness([podManagerService], [NS], { BATON_DEADLINE_ROLLING_BACK_S: 2, BATON_DEADLINE_PROMOTING_S: 1 });
});
afterAll(async () => {
  await h?.close();
});

const neverReady = {
  replicas: 2,
  podsLiveTimeoutSeconds: 60,
  template: {
    spec: {
      containers: [
        { name: "app", env: [{ name: "DEMO_NEVER_READY", value: "true" }], readinessProbe: { httpGet: { path: "/healthz", port: 8080 }, periodSeconds: 1 } },
      ],
    },
  },
};

describe("rollback", () => {
  it("AbortRequested while v2 is starting: the wait stops, v2 is torn down, ReleaseRolledBack names who aborted", async () => {
    const r = await planRelease(h.rt, { releaseId: "rel-abort", app: "abrt", namespace: NS, revision: 1, previousRevision: null, spec: neverReady });
    await waitFor("v2 pods created", async () => (await h.core.listNamespacedPod({ namespace: NS, labelSelector: `${LABEL_APP}=abrt` })).items.length === 2);
    await h.rt.bus.publish(r.ev("AbortRequested", { by: "alice", reason: "wrong image" }));

    const rolled = await waitForEvent(h.rt, r.releaseId, "ReleaseRolledBack");
    expect(rolled.data).toMatchObject({ revision: 1, reason: "aborted by alice: wrong image", failures: [] });
    expect(await isGone(() => h.apps.readNamespacedDeployment({ name: "abrt-1", namespace: NS }))).toBe(true);
    expect(await isGone(() => h.core.readNamespacedService({ name: "abrt-preview", namespace: NS }))).toBe(true);
    // The ReleasePlanned delivery that was waiting for pods let go (acked, not dead-lettered).
    await waitFor("ReleasePlanned acked", async () => {
      const info = await h.rt.bus.jsm.consumers.info(h.rt.bus.subjects.eventsStream, "pod-manager--planned");
      return info.num_ack_pending === 0 && info.num_pending === 0;
    });
    expect(await eventNames(h.rt, r.releaseId)).toEqual(["ReleaseRequested", "ReleasePlanned", "AbortRequested", "ReleaseRolledBack"]);
  });

  it("a first release whose promoting deadline passes: v2 and the production Service Baton pointed at it are deleted", async () => {
    const r = await planRelease(h.rt, { releaseId: "rel-first", app: "first", namespace: NS, revision: 1, previousRevision: null, spec: { replicas: 1 } });
    await waitForEvent(h.rt, r.releaseId, "PodsLive");
    // What the traffic-switcher would have done on a first release: create `first` selecting v2.
    await h.core.createNamespacedService({
      namespace: NS,
      body: {
        metadata: { name: "first", labels: { [LABEL_APP]: "first", [LABEL_MANAGED_BY]: "baton" } },
        spec: { selector: { [LABEL_APP]: "first", [LABEL_REVISION]: "1" }, ports: [{ port: 8080, targetPort: 8080 }] },
      },
    });
    const check = { name: "health", passed: true, expected: "status 200", got: "status 200, body \"ok\" (1 ms)", latencyMs: 1 };
    // Recorded as the traffic-switcher's runner would (which arms the promoting deadline).
    const passed = r.ev("ValidationPassed", { revision: 1, checks: [check], warmup: null });
    await h.rt.bus.publish(passed);
    await record(h.rt, passed);
    // Nobody switches (no traffic-switcher here): the promoting deadline (1 s) rolls the release back.
    const rolled = await waitForEvent(h.rt, r.releaseId, "ReleaseRolledBack");
    expect(rolled.data.reason).toBe("promoting did not finish within 1s");
    expect(rolled.data.failures).toEqual([{ name: "promoting-deadline", expected: "done within 1s", got: "still waiting" }]);
    expect(await isGone(() => h.core.readNamespacedService({ name: "first", namespace: NS }))).toBe(true);
    expect(await isGone(() => h.apps.readNamespacedDeployment({ name: "first-1", namespace: NS }))).toBe(true);
    expect(writesTo(h.sim, "services", "first").filter((a) => a.verb === "delete")).toHaveLength(1);
  });

  it("production still on v2 and nobody switches it back: the rolling_back deadline ends the release as failed, v2 untouched", async () => {
    const r = await planRelease(h.rt, { releaseId: "rel-stuck", app: "stuck", namespace: NS, revision: 2, previousRevision: 1, spec: { replicas: 1 } });
    await waitForEvent(h.rt, r.releaseId, "PodsLive");
    const check = { name: "health", passed: true, expected: "status 200", got: "status 200, body \"ok\" (1 ms)", latencyMs: 1 };
    for (const e of [
      r.ev("ValidationPassed", { revision: 2, checks: [check], warmup: null }),
      r.ev("TrafficSwitched", { from: 1, to: 2, endpoints: 1 }),
    ]) {
      await h.rt.bus.publish(e);
      await record(h.rt, e);
    }
    await h.rt.bus.publish(r.ev("AbortRequested", { by: "bob", reason: "errors in production" }));

    const failed = await waitForEvent(h.rt, r.releaseId, "ReleaseFailed");
    expect(failed.data).toMatchObject({ stage: "pod-manager", cause: "the rollback did not finish within 2 s: production was not switched back to v1" });
    // Production was on v2 the whole time: its pods were not torn down under it.
    expect((await h.apps.readNamespacedDeployment({ name: "stuck-2", namespace: NS })).metadata?.name).toBe("stuck-2");
    expect(writesTo(h.sim, "deployments", "stuck-2").filter((a) => a.verb === "delete")).toHaveLength(0);
    expect((await h.rt.store.get(r.releaseId))?.state.phase).toBe("failed");
  });
});
