import { readFile } from "node:fs/promises";
import { resolve } from "node:path";
import { ApiextensionsV1Api, CustomObjectsApi, KubeConfig, type V1CustomResourceDefinition } from "@kubernetes/client-node";
import { parse } from "yaml";
import { waitFor } from "@baton/runtime/testing";
import { startBaton, type Baton } from "../harness.js";

// Baton on a cluster with the Release CRD (deploy/crd) installed before its services start, and
// the Release objects of the test's namespace.

const CRD = resolve(import.meta.dirname, "../../deploy/crd/release.yaml");

/** Installs the Release CRD (once per cluster: it is cluster-scoped) and waits until it is served. */
export async function installCrd(kc: KubeConfig): Promise<void> {
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

/** Starts Baton with the CRD installed; `objects` reaches the Release objects. */
export async function batonWithReleases(): Promise<{ b: Baton; objects: CustomObjectsApi; ref: { group: string; version: string; namespace: string; plural: string } }> {
  const b = await startBaton({
    beforeServices: async (cluster) => {
      const kc = new KubeConfig();
      kc.loadFromString(cluster.kubeconfig);
      await installCrd(kc);
    },
  });
  const kc = new KubeConfig();
  kc.loadFromString(b.cluster.kubeconfig);
  return { b, objects: kc.makeApiClient(CustomObjectsApi), ref: { group: "baton.dev", version: "v1alpha1", namespace: b.ns, plural: "releases" } };
}
