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
afterEach(async () => {
  await baton?.stop();
  baton = undefined;
});

describe("the Release custom resource", () => {
  test("a Release object is released end to end and its status reaches completed", async () => {
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
    const objects = kc.makeApiClient(CustomObjectsApi);
    const ref = { group: "baton.dev", version: "v1alpha1", namespace: "shop", plural: "releases" };
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
    const prod = await baton.core.readNamespacedService({ name: "web", namespace: "shop" });
    expect(prod.spec?.selector?.["baton.dev/revision"]).toBe("1");
  });
});
