import { readFile } from "node:fs/promises";
import { resolve } from "node:path";
import { afterEach, describe, expect, test } from "vitest";
import { ApiextensionsV1Api, CustomObjectsApi, KubeConfig, type V1CustomResourceDefinition } from "@kubernetes/client-node";
import { parse } from "yaml";
import { waitFor } from "@baton/runtime/testing";
import { names, startBaton, type Baton } from "../harness.js";

// Issue 9: with the Release CRD installed, a Release object created in the cluster runs a real
// release through the five stages, and its status (phase, revision, conditions) follows it to the end.

const CRD = resolve(import.meta.dirname, "../../deploy/crd/release.yaml");

let baton: Baton | undefined;

/** Installs the Release CRD (once per cluster: it is cluster-scoped) and waits until it is served. */
async function installCrd(kc: KubeConfig): Promise<void> {
  const api = kc.makeApiClient(ApiextensionsV1Api);
  const crd = parse(await readFile(CRD, "utf8")) as V1CustomResourceDefinition;
  await api.createCustomResourceDefinition({ body: crd }).catch((err: unknown) => {
    if ((err as { code?: number }).code !== 409) throw err;
  });
  await waitFor("the Release CRD to be established", async () => {
    const got = await api.readCustomResourceDefinition({ name: crd.metadata?.name as string });
    return got.status?.conditions?.some((c) => c.type === "Established" && c.status === "True") ? true : undefined;
  }, 30_000, 100);
}
afterEach(async () => {
  await baton?.stop();
  baton = undefined;
});

describe("the Release custom resource", () => {
  test("a Release object is released end to end and its status reaches completed", async () => {
    baton = await startBaton({
      beforeServices: async (cluster) => {
        const kc = new KubeConfig();
        kc.loadFromString(cluster.kubeconfig);
        await installCrd(kc);
      },
    });
    const kc = new KubeConfig();
    kc.loadFromString(baton.cluster.kubeconfig);
    const objects = kc.makeApiClient(CustomObjectsApi);
    const ref = { group: "baton.dev", version: "v1alpha1", namespace: baton.ns, plural: "releases" };
    await objects.createNamespacedCustomObject({
      ...ref,
      body: {
        apiVersion: "baton.dev/v1alpha1",
        kind: "Release",
        metadata: { name: "web-v1" },
        spec: { app: "web", image: "baton.dev/demo-app:1.0.0", replicas: 2, validation: { tests: [{ name: "version", request: { path: "/version" }, expect: { bodyContains: "1.0.0" } }] } },
      },
    });
    type Status = { phase?: string; revision?: number; releaseId?: string; conditions?: { type: string; status: string }[] };
    const status = await waitFor("the Release's status to reach completed", async () => {
      const o = (await objects.getNamespacedCustomObject({ ...ref, name: "web-v1" })) as { status?: Status };
      return o.status?.phase?.toLowerCase() === "completed" ? o.status : undefined;
    }, 60_000, 100);
    expect(status.revision).toBe(1);
    expect(status.conditions?.find((c) => c.type === "Ready")?.status).toBe("True");
    const id = String(status.releaseId);
    expect(names(await baton.events(id))).toEqual(["ReleaseRequested", "ReleasePlanned", "PodsLive", "ValidationPassed", "TrafficSwitched", "ReleaseCompleted"]);
    const prod = await baton.core.readNamespacedService({ name: "web", namespace: baton.ns });
    expect(prod.spec?.selector?.["baton.dev/revision"]).toBe("1");
  });
});
