import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { connect } from "@nats-io/transport-node";
import { LABEL_APP, LABEL_MANAGED_BY, LABEL_RELEASE, LABEL_REVISION } from "@baton/runtime";
import { waitFor } from "@baton/runtime/testing";
import { podManagerService } from "../src/index.js";
import { eventNames, isGone, planRelease, startHarness, v1Deployment, waitForEvent, writesTo, type Harness } from "./harness.js";

// Given kube-sim and the pod-manager stage on real NATS and Redis, when a release is planned,
// then v2 is brought up from v1's pod template and reported live — or, when it cannot become
// ready, reported failed with the reason of each pod and torn down.

const NS = "shop";
let h: Harness;

beforeAll(async () => {
  h = await startHarness([podManagerService], [NS]);
});
afterAll(async () => {
  await h?.close();
});

describe("ReleasePlanned with a v1 in the cluster", () => {
  it("creates v2 once from v1's template (image replaced, v1 env kept, request env added), the preview Service, and PodsLive after the start delay", async () => {
    await h.apps.createNamespacedDeployment({ namespace: NS, body: v1Deployment("web", NS, [{ name: "FROM_V1", value: "kept" }]) });
    const nc = await connect({ servers: h.rt.config.BATON_NATS_URL });
    const progress: { ready: number; desired: number }[] = [];
    const sub = nc.subscribe(h.rt.bus.subjects.progress("rel-web-2"), {
      callback: (_e, m) => {
        progress.push((m.json() as { pods: { ready: number; desired: number } }).pods);
      },
    });
    const started = Date.now();
    const r = await planRelease(h.rt, {
      releaseId: "rel-web-2",
      app: "web",
      namespace: NS,
      revision: 2,
      previousRevision: 1,
      spec: {
        replicas: 2,
        liveThreshold: 2,
        template: {
          spec: {
            containers: [
              {
                name: "app",
                env: [{ name: "ADDED", value: "yes" }, { name: "DEMO_START_DELAY_MS", value: "1500" }],
                readinessProbe: { httpGet: { path: "/healthz", port: 8080 }, periodSeconds: 1 },
              },
            ],
          },
        },
      },
    });
    // A redelivery of the same message while v2 is still starting (another id, as after a crash).
    await waitFor("Deployment web-2", () => h.apps.readNamespacedDeployment({ name: "web-2", namespace: NS }));
    await h.rt.bus.publishRaw(h.rt.bus.subjects.event("ReleasePlanned", NS, "web", r.releaseId), JSON.stringify(toWire(r.planned)), "redelivered-1");

    const live = await waitForEvent(h.rt, r.releaseId, "PodsLive");
    expect(Date.now() - started).toBeGreaterThanOrEqual(1500);
    expect(live.data).toMatchObject({ revision: 2, ready: 2, desired: 2 });

    const d = await h.apps.readNamespacedDeployment({ name: "web-2", namespace: NS });
    expect(d.metadata?.labels).toMatchObject({ [LABEL_APP]: "web", [LABEL_REVISION]: "2", [LABEL_MANAGED_BY]: "baton", [LABEL_RELEASE]: r.releaseId });
    expect(d.spec?.selector.matchLabels).toEqual({ [LABEL_APP]: "web", [LABEL_REVISION]: "2" });
    expect(d.spec?.replicas).toBe(2);
    expect(d.spec?.template.metadata?.labels).toEqual({ [LABEL_APP]: "web", [LABEL_REVISION]: "2", team: "shop" });
    const [app, sidecar] = d.spec?.template.spec?.containers ?? [];
    expect(app?.image).toBe("baton.dev/demo-app:2.0.0");
    expect(app?.env).toEqual([
      { name: "FROM_V1", value: "kept" },
      { name: "ADDED", value: "yes" },
      { name: "DEMO_START_DELAY_MS", value: "1500" },
    ]);
    expect(app?.readinessProbe?.httpGet?.path).toBe("/healthz");
    expect(app?.ports).toMatchObject([{ name: "http", containerPort: 8080 }]);
    expect(sidecar?.image).toBe("baton.dev/demo-app:0.1.0");

    const preview = await h.core.readNamespacedService({ name: "web-preview", namespace: NS });
    expect(preview.spec?.selector).toEqual({ [LABEL_APP]: "web", [LABEL_REVISION]: "2" });
    expect(preview.spec?.ports?.[0]?.port).toBe(8080);

    // Nothing twice: one create each (the redelivery found its earlier work), one PodsLive.
    await waitFor("the redelivery handled", async () => (await h.rt.store.get(r.releaseId))?.state.phase === "validating");
    const creates = writesTo(h.sim, "deployments", "web-2").filter((a) => a.verb === "create" && a.code === 201);
    expect(creates).toHaveLength(1);
    expect(writesTo(h.sim, "services", "web-preview").filter((a) => a.code === 201 || a.verb === "patch")).toHaveLength(1);
    expect(writesTo(h.sim, "deployments", "web-1")).toHaveLength(1); // the test's own create: v1 untouched
    expect((await eventNames(h.rt, r.releaseId)).filter((n) => n === "PodsLive")).toHaveLength(1);
    expect(progress.length).toBeGreaterThan(0);
    expect(progress.at(-1)).toEqual({ ready: 2, desired: 2 });
    await sub.drain();
    await nc.close();
  });

  it("on ValidationFailed tears v2 down and keeps v1 and the production Service", async () => {
    await h.core.createNamespacedService({
      namespace: NS,
      body: { metadata: { name: "web" }, spec: { selector: { [LABEL_APP]: "web", [LABEL_REVISION]: "1" }, ports: [{ port: 8080, targetPort: 8080 }] } },
    });
    const failures = [{ name: "version", expected: 'status 200, body contains "2.0.0"', got: 'status 200, body "1.0.0" (3 ms)' }];
    const r = await h.rt.store.get("rel-web-2");
    expect(r?.state.phase).toBe("validating");
    const ev = (await import("@baton/contracts/testing")).releaseEvents("rel-web-2", "web", NS, Date.now());
    const check = { name: "version", passed: false, expected: failures[0]!.expected, got: failures[0]!.got, latencyMs: 3 };
    await h.rt.bus.publish(ev("ValidationFailed", { revision: 2, checks: [check], warmup: null, failures }));

    const rolled = await waitForEvent(h.rt, "rel-web-2", "ReleaseRolledBack");
    expect(rolled.data).toMatchObject({ revision: 2, reason: "validation failed: version", failures });
    expect(await isGone(() => h.apps.readNamespacedDeployment({ name: "web-2", namespace: NS }))).toBe(true);
    expect(await isGone(() => h.core.readNamespacedService({ name: "web-preview", namespace: NS }))).toBe(true);
    const prod = await h.core.readNamespacedService({ name: "web", namespace: NS });
    expect(prod.spec?.selector?.[LABEL_REVISION]).toBe("1");
    expect((await h.apps.readNamespacedDeployment({ name: "web-1", namespace: NS })).spec?.replicas).toBe(1);
    expect(writesTo(h.sim, "services", "web").filter((a) => a.verb !== "create")).toHaveLength(0);
    // ReleasePlanned twice: the first test's simulated redelivery.
    expect(await eventNames(h.rt, "rel-web-2")).toEqual([
      "ReleaseRequested",
      "ReleasePlanned",
      "ReleasePlanned",
      "PodsLive",
      "ValidationFailed",
      "ReleaseRolledBack",
    ]);
    expect((await h.rt.store.get("rel-web-2"))?.state.phase).toBe("rolled_back");
  });
});

describe("v2 never becomes ready", () => {
  it.each([
    {
      app: "never",
      image: "baton.dev/demo-app:2.0.0",
      env: [{ name: "DEMO_NEVER_READY", value: "true" }],
      why: /never-1-[a-z0-9-]+: .+/,
    },
    { app: "pull", image: "registry.example.com/shop/pull:2.0.0", env: [], why: /pull-1-[a-z0-9-]+: (ErrImagePull|ImagePullBackOff)/ },
  ])("$app: after podsLiveTimeoutSeconds PodsFailed names each pod and why, then v2 is torn down", async ({ app, image, env, why }) => {
    const r = await planRelease(h.rt, {
      releaseId: `rel-${app}-1`,
      app,
      namespace: NS,
      revision: 1,
      previousRevision: null,
      spec: {
        image,
        replicas: 2,
        podsLiveTimeoutSeconds: 2,
        template: { spec: { containers: [{ name: "app", env, readinessProbe: { httpGet: { path: "/healthz", port: 8080 }, periodSeconds: 1 } }] } },
      },
    });
    const failed = await waitForEvent(h.rt, r.releaseId, "PodsFailed");
    expect(failed.data.ready).toBe(0);
    expect(failed.data.desired).toBe(2);
    expect(failed.data.reason).toMatch(/^0 of 2 pods Ready after 2 s; /);
    expect(failed.data.reason).toMatch(why);
    expect(failed.data.pods).toHaveLength(2);
    for (const p of failed.data.pods) {
      expect(p.name).toMatch(new RegExp(`^${app}-1-`));
      expect(p.ready).toBe(false);
      expect(p.reason).toBeTruthy();
      expect(failed.data.reason).toContain(p.name);
    }
    const rolled = await waitForEvent(h.rt, r.releaseId, "ReleaseRolledBack");
    expect(rolled.data.reason).toBe(failed.data.reason);
    expect(await isGone(() => h.apps.readNamespacedDeployment({ name: `${app}-1`, namespace: NS }))).toBe(true);
    expect(await isGone(() => h.core.readNamespacedService({ name: `${app}-preview`, namespace: NS }))).toBe(true);
    expect(await eventNames(h.rt, r.releaseId)).toEqual([
      "ReleaseRequested",
      "ReleasePlanned",
      "DeadlineExceeded",
      "PodsFailed",
      "ReleaseRolledBack",
    ]);
    await waitFor("v2 pods gone", async () => (await h.core.listNamespacedPod({ namespace: NS, labelSelector: `${LABEL_APP}=${app}` })).items.length === 0);
  });
});

function toWire(e: object): Record<string, unknown> {
  const { name: _name, ...wire } = e as { name: string };
  return wire;
}
