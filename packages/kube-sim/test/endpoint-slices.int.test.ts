/**
 * discovery.k8s.io/v1 EndpointSlices, as kube-controller-manager writes them: what kube-proxy
 * (kube-sim's included) and Baton's switch confirmation read instead of the deprecated v1 Endpoints.
 */
import * as k8s from "@kubernetes/client-node";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { deployment, HEALTH_PROBE, isReady, startSim, waitFor, type SimClients } from "./support.js";

let c: SimClients;
let discovery: k8s.DiscoveryV1Api;
const NS = "default";

beforeAll(async () => {
  c = await startSim({ probeIntervalMs: 20 });
  discovery = c.kc.makeApiClient(k8s.DiscoveryV1Api);
});
afterAll(async () => {
  await c?.sim.close();
});

async function slicesOf(service: string): Promise<k8s.V1EndpointSlice[]> {
  return (await discovery.listNamespacedEndpointSlice({ namespace: NS, labelSelector: `kubernetes.io/service-name=${service}` })).items;
}

function byName(a: k8s.V1Endpoint, b: k8s.V1Endpoint): number {
  return (a.targetRef?.name ?? "") < (b.targetRef?.name ?? "") ? -1 : 1;
}

describe("endpointslice controller", () => {
  it("lists the selected pods with their conditions, node, pod reference and resolved named port, labelled and owned as the real controller does", async () => {
    await c.apps.createNamespacedDeployment({ namespace: NS, body: deployment("shop", 2, { labels: { app: "shop", tier: "web" }, readinessProbe: HEALTH_PROBE }) });
    const unready = deployment("shop-canary", 1, { labels: { app: "shop", tier: "canary" }, readinessProbe: HEALTH_PROBE, env: { DEMO_NEVER_READY: "true" } });
    await c.apps.createNamespacedDeployment({ namespace: NS, body: unready });
    const pods = await waitFor("3 running pods", async () => {
      const list = await c.core.listNamespacedPod({ namespace: NS, labelSelector: "app=shop" });
      return list.items.length === 3 && list.items.filter(isReady).length === 2 && list.items.every((p) => p.status?.podIP) ? list.items : undefined;
    });
    const svc = await c.core.createNamespacedService({
      namespace: NS,
      body: { metadata: { name: "shop", labels: { team: "checkout" } }, spec: { selector: { app: "shop" }, ports: [{ name: "web", port: 80, targetPort: "http" }] } },
    });
    const [slice] = await waitFor("a slice of 3 endpoints", async () => {
      const s = await slicesOf("shop");
      return s.length === 1 && s[0]?.endpoints?.length === 3 ? s : undefined;
    });
    expect(slice?.metadata?.name).toMatch(/^shop-[a-z0-9]{5}$/);
    expect(slice?.metadata?.generateName).toBe("shop-");
    expect(slice?.metadata?.labels).toEqual({ team: "checkout", "kubernetes.io/service-name": "shop", "endpointslice.kubernetes.io/managed-by": "endpointslice-controller.k8s.io" });
    expect(slice?.metadata?.ownerReferences).toEqual([{ apiVersion: "v1", kind: "Service", name: "shop", uid: svc.metadata?.uid, controller: true, blockOwnerDeletion: true }]);
    expect(slice?.addressType).toBe("IPv4");
    expect(slice?.ports).toEqual([{ name: "web", port: 8080, protocol: "TCP" }]);
    const expected = pods
      .map((p) => ({
        addresses: [p.status?.podIP ?? ""],
        conditions: { ready: isReady(p), serving: isReady(p), terminating: false },
        nodeName: "kube-sim",
        targetRef: { kind: "Pod", namespace: NS, name: p.metadata?.name, uid: p.metadata?.uid },
      }))
      .sort(byName);
    expect([...(slice?.endpoints ?? [])].sort(byName)).toEqual(expected);
  });

  it("keeps a terminating pod, not ready and terminating, until it is gone", async () => {
    await c.apps.createNamespacedDeployment({ namespace: NS, body: deployment("slow", 1, { readinessProbe: HEALTH_PROBE, grace: 30, env: { DEMO_IGNORE_SIGTERM: "true" } }) });
    await c.core.createNamespacedService({ namespace: NS, body: { metadata: { name: "slow" }, spec: { selector: { app: "slow" }, ports: [{ port: 80, targetPort: 8080 }] } } });
    await waitFor("a ready endpoint", async () => (await slicesOf("slow"))[0]?.endpoints?.[0]?.conditions?.ready === true);
    const [victim] = (await c.core.listNamespacedPod({ namespace: NS, labelSelector: "app=slow" })).items;
    await c.core.deleteNamespacedPod({ name: victim?.metadata?.name ?? "", namespace: NS });
    const terminating = await waitFor("the endpoint terminating", async () => {
      const eps = (await slicesOf("slow"))[0]?.endpoints ?? [];
      return eps.find((e) => e.targetRef?.uid === victim?.metadata?.uid && e.conditions?.terminating === true);
    });
    expect(terminating.conditions).toMatchObject({ ready: false, terminating: true });
    await c.core.deleteNamespacedPod({ name: victim?.metadata?.name ?? "", namespace: NS, gracePeriodSeconds: 0 });
    await waitFor("the endpoint gone", async () => !(await slicesOf("slow")).some((s) => s.endpoints?.some((e) => e.targetRef?.uid === victim?.metadata?.uid)));
  });

  it("keeps one empty slice for a Service without endpoints, and removes its slices with it", async () => {
    await c.core.createNamespacedService({ namespace: NS, body: { metadata: { name: "nobody" }, spec: { selector: { app: "nobody" }, ports: [{ port: 80 }] } } });
    const [empty] = await waitFor("a placeholder slice", async () => {
      const s = await slicesOf("nobody");
      return s.length === 1 ? s : undefined;
    });
    expect(empty?.endpoints ?? []).toEqual([]);
    await c.core.deleteNamespacedService({ name: "nobody", namespace: NS });
    await waitFor("no slice left", async () => (await slicesOf("nobody")).length === 0);
  });

  it("mirrors the hand-written Endpoints of a Service without selector", async () => {
    await c.core.createNamespacedService({ namespace: NS, body: { metadata: { name: "external" }, spec: { ports: [{ name: "db", port: 5432 }] } } });
    const ep = await c.core.createNamespacedEndpoints({
      namespace: NS,
      body: {
        metadata: { name: "external", labels: { source: "manual" } },
        subsets: [{ addresses: [{ ip: "10.1.0.5" }], notReadyAddresses: [{ ip: "10.1.0.6" }], ports: [{ name: "db", port: 5432, protocol: "TCP" }] }],
      },
    });
    const [slice] = await waitFor("a mirrored slice", async () => {
      const s = await slicesOf("external");
      return s.length === 1 && s[0]?.endpoints?.length === 2 ? s : undefined;
    });
    expect(slice?.metadata?.labels).toEqual({ source: "manual", "kubernetes.io/service-name": "external", "endpointslice.kubernetes.io/managed-by": "endpointslicemirroring-controller.k8s.io" });
    expect(slice?.metadata?.ownerReferences).toEqual([{ apiVersion: "v1", kind: "Endpoints", name: "external", uid: ep.metadata?.uid, controller: true, blockOwnerDeletion: true }]);
    expect(slice?.ports).toEqual([{ name: "db", port: 5432, protocol: "TCP" }]);
    expect(slice?.endpoints).toEqual([
      { addresses: ["10.1.0.5"], conditions: { ready: true } },
      { addresses: ["10.1.0.6"], conditions: { ready: false } },
    ]);
    await c.core.deleteNamespacedEndpoints({ name: "external", namespace: NS });
    await waitFor("the mirror gone", async () => (await slicesOf("external")).length === 0);
  });
});
