import { afterEach, describe, expect, test } from "vitest";
import { isNotFound } from "@baton/runtime";
import { waitFor } from "@baton/runtime/testing";
import { names, type Baton } from "../harness.js";
import { batonWithReleases } from "./release-crd.js";

// Issue 9: with the Release CRD installed, a Release object created in the cluster runs a real
// release through the five stages, and its status (phase, revision, conditions) follows it to the end.
// Issue 21: deleting a Release mid-release aborts that release (rolled back, the reason names the
// deletion), the planner's finalizer keeping the object until then; deleting the Release of a
// completed app changes nothing in the cluster.

const PROBE = { spec: { containers: [{ name: "app", readinessProbe: { httpGet: { path: "/healthz", port: 8080 } } }] } };

type Status = { phase?: string; revision?: number; releaseId?: string; conditions?: { type: string; status: string }[] };
type ReleaseObj = { metadata: { finalizers?: string[]; deletionTimestamp?: string }; status?: Status };

let baton: Baton | undefined;

afterEach(async () => {
  await baton?.stop();
  baton = undefined;
});

/** Baton on a cluster with the CRD, and the Release objects of the test's namespace. */
async function withReleases() {
  const { b, objects, ref } = await batonWithReleases();
  baton = b;
  const get = (name: string) => objects.getNamespacedCustomObject({ ...ref, name }) as Promise<ReleaseObj>;
  return {
    b,
    get,
    create: (name: string, spec: Record<string, unknown>) =>
      objects.createNamespacedCustomObject({ ...ref, body: { apiVersion: "baton.dev/v1alpha1", kind: "Release", metadata: { name }, spec } }),
    reached: (name: string, phase: string) =>
      waitFor(`Release ${name} to reach ${phase}`, async () => {
        const o = await get(name);
        return o.status?.phase === phase ? o.status : undefined;
      }, 60_000, 50),
    /** Deletes a Release and polls until it is gone; the release's stored state at that moment. */
    async deleteAndWaitGone(name: string, releaseId: string) {
      await objects.deleteNamespacedCustomObject({ ...ref, name });
      return waitFor(`Release ${name} to be gone`, async () => {
        const gone = await get(name).then(() => false, (err: unknown) => (isNotFound(err) ? true : Promise.reject(err)));
        return gone ? ((await b.rt.store.get(releaseId))?.state ?? null) : undefined;
      }, 60_000, 20);
    },
  };
}

describe("the Release custom resource", () => {
  test("a Release object is released end to end and its status reaches completed", async () => {
    const r = await withReleases();
    await r.create("web-v1", { app: "web", image: "baton.dev/demo-app:1.0.0", replicas: 2, validation: { tests: [{ name: "version", request: { path: "/version" }, expect: { bodyContains: "1.0.0" } }] } });
    const status = await r.reached("web-v1", "completed");
    expect(status.revision).toBe(1);
    expect(status.conditions?.find((c) => c.type === "Ready")?.status).toBe("True");
    const id = String(status.releaseId);
    expect(names(await r.b.events(id))).toEqual(["ReleaseRequested", "ReleasePlanned", "PodsLive", "ValidationPassed", "TrafficSwitched", "ReleaseCompleted"]);
    const prod = await r.b.core.readNamespacedService({ name: "web", namespace: r.b.ns });
    expect(prod.spec?.selector?.["baton.dev/revision"]).toBe("1");
    expect((await r.get("web-v1")).metadata.finalizers).toEqual(["baton.dev/release"]);
  });

  test("deleting a Release mid-release aborts it: rolled back, the reason names the deletion, the object kept until then", async () => {
    // Given a Release whose release waits for a manual promotion, v2 up
    const r = await withReleases();
    await r.create("cart-v1", { app: "cart", image: "baton.dev/demo-app:1.0.0", template: PROBE, promotion: "manual" });
    const waiting = await r.reached("cart-v1", "awaiting_promotion");
    const id = String(waiting.releaseId);
    expect((await r.get("cart-v1")).metadata.finalizers).toEqual(["baton.dev/release"]);
    await r.b.apps.readNamespacedDeployment({ name: "cart-1", namespace: r.b.ns });

    // When the Release is deleted
    const atGone = await r.deleteAndWaitGone("cart-v1", id);

    // Then the object went only once its release had been rolled back
    const reason = `aborted by Release ${r.b.ns}/cart-v1: the Release was deleted`;
    expect(atGone?.phase).toBe("rolled_back");
    expect(atGone?.outcome?.reason).toBe(reason);
    const events = await r.b.events(id);
    expect(names(events)).toEqual(["ReleaseRequested", "ReleasePlanned", "PodsLive", "ValidationPassed", "AbortRequested", "ReleaseRolledBack"]);
    expect(events.find((e) => e.name === "AbortRequested")).toMatchObject({ source: "baton/planner", data: { by: `Release ${r.b.ns}/cart-v1`, reason: "the Release was deleted" } });
    expect(events.at(-1)).toMatchObject({ data: { reason } });
    // and v2 is gone from the cluster
    await waitFor("v2's Deployment gone", () => r.b.apps.readNamespacedDeployment({ name: "cart-1", namespace: r.b.ns }).then(() => undefined, (err: unknown) => (isNotFound(err) ? true : Promise.reject(err))));
  });

  test("deleting the Release of a completed app changes nothing in the cluster", async () => {
    // Given an app released by a Release that completed
    const r = await withReleases();
    await r.create("api-v1", { app: "api", image: "baton.dev/demo-app:1.0.0", template: PROBE });
    const done = await r.reached("api-v1", "completed");
    const before = (await r.b.clientWrites()).length;

    // When the Release is deleted
    const atGone = await r.deleteAndWaitGone("api-v1", String(done.releaseId));

    // Then nothing but the Release itself was written (its deletion, the finalizer let go), the app
    // still runs its revision behind its production Service, and no event was published
    expect(atGone?.phase).toBe("completed");
    const writes = (await r.b.clientWrites()).slice(before);
    expect(writes.filter((w) => w.resource !== "releases").map((w) => `${w.verb} ${w.resource} ${w.name}`)).toEqual([]);
    expect((await r.b.apps.readNamespacedDeployment({ name: "api-1", namespace: r.b.ns })).status?.readyReplicas).toBe(1);
    expect((await r.b.core.readNamespacedService({ name: "api", namespace: r.b.ns })).spec?.selector?.["baton.dev/revision"]).toBe("1");
    expect(names(await r.b.events(String(done.releaseId))).at(-1)).toBe("ReleaseCompleted");
  });
});
