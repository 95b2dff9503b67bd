import { readFile } from "node:fs/promises";
import { resolve } from "node:path";
import { afterAll, beforeAll, describe, expect, test } from "vitest";
import { ApiextensionsV1Api, CustomObjectsApi, KubeConfig, type V1CustomResourceDefinition } from "@kubernetes/client-node";
import { parse } from "yaml";
import { isNotFound } from "@baton/runtime";
import { waitFor } from "@baton/runtime/testing";
import { names, startBaton, type Baton } from "../harness.js";

// Issue 9: with the Release CRD installed, a Release object created in the cluster runs a real
// release through the five stages, and its status (phase, revision, conditions) follows it to the end.
// Issue 21: deleting a Release mid-release aborts that release (rolled back, the reason names the
// deletion), the planner's finalizer keeping the object until then; deleting the Release of a
// completed app changes nothing in the cluster.

const CRD = resolve(import.meta.dirname, "../../deploy/crd/release.yaml");
const REF = { group: "baton.dev", version: "v1alpha1", namespace: "shop", plural: "releases" };
const PROBE = { spec: { containers: [{ name: "app", readinessProbe: { httpGet: { path: "/healthz", port: 8080 } } }] } };

type Status = { phase?: string; revision?: number; releaseId?: string; conditions?: { type: string; status: string }[] };
type ReleaseObj = { metadata: { finalizers?: string[]; deletionTimestamp?: string }; status?: Status };

let baton: Baton;
let objects: CustomObjectsApi;
beforeAll(async () => {
  baton = await startBaton({
    beforeServices: async (sim) => {
      const kc = new KubeConfig();
      kc.loadFromString(sim.kubeconfig());
      const crd = parse(await readFile(CRD, "utf8")) as V1CustomResourceDefinition;
      await kc.makeApiClient(ApiextensionsV1Api).createCustomResourceDefinition({ body: crd });
    },
    overrides: { BATON_ALLOWED_NAMESPACES: "shop" },
  });
  await baton.core.createNamespace({ body: { metadata: { name: "shop" } } });
  const kc = new KubeConfig();
  kc.loadFromString(baton.sim.kubeconfig());
  objects = kc.makeApiClient(CustomObjectsApi);
});
afterAll(async () => {
  await baton?.stop();
});

const get = (name: string) => objects.getNamespacedCustomObject({ ...REF, name }) as Promise<ReleaseObj>;

async function createRelease(name: string, spec: Record<string, unknown>): Promise<void> {
  await objects.createNamespacedCustomObject({ ...REF, body: { apiVersion: "baton.dev/v1alpha1", kind: "Release", metadata: { name }, spec } });
}

async function phaseReached(name: string, phase: string): Promise<Status> {
  return waitFor(`Release ${name} to reach ${phase}`, async () => {
    const o = await get(name);
    return o.status?.phase === phase ? o.status : undefined;
  }, 60_000, 50);
}

/** Deletes a Release and polls until it is gone; the release's stored state at that moment. */
async function deleteAndWaitGone(name: string, releaseId: string) {
  await objects.deleteNamespacedCustomObject({ ...REF, name });
  return waitFor(`Release ${name} to be gone`, async () => {
    const gone = await get(name).then(() => false, (err: unknown) => (isNotFound(err) ? true : Promise.reject(err)));
    return gone ? ((await baton.rt.store.get(releaseId))?.state ?? null) : undefined;
  }, 60_000, 20);
}

describe("the Release custom resource", () => {
  test("a Release object is released end to end and its status reaches completed", async () => {
    await createRelease("web-v1", { app: "web", image: "baton.dev/demo-app:1.0.0", replicas: 2, validation: { tests: [{ name: "version", request: { path: "/version" }, expect: { bodyContains: "1.0.0" } }] } });
    const status = await phaseReached("web-v1", "completed");
    expect(status.revision).toBe(1);
    expect(status.conditions?.find((c) => c.type === "Ready")?.status).toBe("True");
    const id = String(status.releaseId);
    expect(names(await baton.events(id))).toEqual(["ReleaseRequested", "ReleasePlanned", "PodsLive", "ValidationPassed", "TrafficSwitched", "ReleaseCompleted"]);
    const prod = await baton.core.readNamespacedService({ name: "web", namespace: "shop" });
    expect(prod.spec?.selector?.["baton.dev/revision"]).toBe("1");
    expect((await get("web-v1")).metadata.finalizers).toEqual(["baton.dev/release"]);
  });

  test("deleting a Release mid-release aborts it: rolled back, the reason names the deletion, the object kept until then", async () => {
    // Given a Release whose release waits for a manual promotion, v2 up
    await createRelease("cart-v1", { app: "cart", image: "baton.dev/demo-app:1.0.0", template: PROBE, promotion: "manual" });
    const waiting = await phaseReached("cart-v1", "awaiting_promotion");
    const id = String(waiting.releaseId);
    expect((await get("cart-v1")).metadata.finalizers).toEqual(["baton.dev/release"]);
    await baton.apps.readNamespacedDeployment({ name: "cart-1", namespace: "shop" });

    // When the Release is deleted
    const atGone = await deleteAndWaitGone("cart-v1", id);

    // Then the object went only once its release had been rolled back
    expect(atGone?.phase).toBe("rolled_back");
    expect(atGone?.outcome?.reason).toBe("aborted by Release shop/cart-v1: the Release was deleted");
    const events = await baton.events(id);
    expect(names(events)).toEqual(["ReleaseRequested", "ReleasePlanned", "PodsLive", "ValidationPassed", "AbortRequested", "ReleaseRolledBack"]);
    const abort = events.find((e) => e.name === "AbortRequested");
    expect(abort).toMatchObject({ source: "baton/planner", data: { by: "Release shop/cart-v1", reason: "the Release was deleted" } });
    expect(events.at(-1)).toMatchObject({ data: { reason: "aborted by Release shop/cart-v1: the Release was deleted" } });
    // and v2 is gone from the cluster
    await expect(baton.apps.readNamespacedDeployment({ name: "cart-1", namespace: "shop" })).rejects.toSatisfy(isNotFound);
  });

  test("deleting the Release of a completed app changes nothing in the cluster", async () => {
    // Given an app released by a Release that completed
    await createRelease("api-v1", { app: "api", image: "baton.dev/demo-app:1.0.0", template: PROBE });
    const done = await phaseReached("api-v1", "completed");
    const mark = baton.clientWrites().at(-1)?.seq ?? 0;

    // When the Release is deleted
    const atGone = await deleteAndWaitGone("api-v1", String(done.releaseId));

    // Then the only writes are to the Release itself (the deletion, the finalizer let go), the app
    // still runs its revision behind its production Service, and no event was published
    expect(atGone?.phase).toBe("completed");
    const writes = baton.clientWrites().filter((w) => w.seq > mark);
    expect(writes.map((w) => `${w.verb} ${w.resource}${w.subresource ? `/${w.subresource}` : ""}`)).toEqual(["delete releases", "patch releases"]);
    expect((await baton.apps.readNamespacedDeployment({ name: "api-1", namespace: "shop" })).status?.readyReplicas).toBe(1);
    expect((await baton.core.readNamespacedService({ name: "api", namespace: "shop" })).spec?.selector?.["baton.dev/revision"]).toBe("1");
    expect(names(await baton.events(String(done.releaseId))).at(-1)).toBe("ReleaseCompleted");
  });
});
