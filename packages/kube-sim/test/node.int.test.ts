/**
 * kube-sim's node as a kubelet in any cluster: it registers a Node, renews its Lease, runs only
 * the pods bound to it (kube-sim's scheduler binds them, through pods/binding), finishes their
 * deletion as a real kubelet, and leaves NotReady. A second node joins kube-sim through its
 * kubeconfig, as `baton sim --node` joins any API server.
 */
import * as k8s from "@kubernetes/client-node";
import { startNode, type KubeSimNode } from "@baton/kube-sim";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { deployment, failure, HEALTH_PROBE, isReady, merge, publishedPort, startSim, waitFor, type SimClients } from "./support.js";

let c: SimClients;
const NS = "default";
const started: KubeSimNode[] = [];

beforeAll(async () => {
  c = await startSim({ probeIntervalMs: 20 });
});
afterAll(async () => {
  await Promise.all(started.map((n) => n.close()));
  await c?.sim.close();
});

/** A node joined to the simulator as `system:node:<name>`, the identity of a real kubelet. */
async function joinNode(name: string, extra: { leaseDurationSeconds?: number } = {}): Promise<KubeSimNode> {
  const kubeconfig = c.sim.kubeconfig().replace("token: kube-sim-admin", `token: system:node:${name}`);
  const node = await startNode({ kubeconfig, nodeName: name, probeIntervalMs: 20, ...extra });
  started.push(node);
  return node;
}

function lease(name: string): Promise<k8s.V1Lease> {
  return c.kc.makeApiClient(k8s.CoordinationV1Api).readNamespacedLease({ name, namespace: "kube-node-lease" });
}

function readyCondition(node: k8s.V1Node): k8s.V1NodeCondition | undefined {
  return node.status?.conditions?.find((x) => x.type === "Ready");
}

function pod(name: string, spec: Partial<k8s.V1PodSpec> = {}): k8s.V1Pod {
  return { metadata: { name, labels: { test: name } }, spec: { containers: [{ name: "app", image: "baton.dev/demo-app:1.0.0", ports: [{ containerPort: 8080 }], readinessProbe: HEALTH_PROBE }], ...spec } };
}

async function readyPod(name: string): Promise<k8s.V1Pod> {
  return waitFor(`pod ${name} Ready`, async () => {
    const p = await c.core.readNamespacedPod({ name, namespace: NS });
    return isReady(p) ? p : undefined;
  });
}

describe("kube-sim's node", () => {
  it("registers a Node with capacity, allocatable, a Ready condition, addresses and a kube-sim kubelet version", async () => {
    const node = await c.core.readNode({ name: "kube-sim" });
    expect(node.metadata?.labels).toMatchObject({ "kubernetes.io/hostname": "kube-sim", "kubernetes.io/os": "linux" });
    expect(node.status?.capacity).toMatchObject({ cpu: "64", memory: "256Gi", pods: "1000" });
    expect(node.status?.allocatable).toEqual(node.status?.capacity);
    expect(readyCondition(node)).toMatchObject({ status: "True", reason: "KubeletReady" });
    expect(node.status?.addresses).toEqual([
      { type: "InternalIP", address: "127.0.0.1" },
      { type: "Hostname", address: "kube-sim" },
    ]);
    expect(node.status?.nodeInfo).toMatchObject({ kubeletVersion: expect.stringMatching(/^v1\.\d+\.\d+-kube-sim$/), operatingSystem: "linux", containerRuntimeVersion: "kube-sim://1" });
    expect((await lease("kube-sim")).spec).toMatchObject({ holderIdentity: "kube-sim", leaseDurationSeconds: 40 });
  });

  it("renews its Lease every quarter of the lease duration, owned by its Node; stopped, it reports NotReady and renews no more", async () => {
    const node = await joinNode("lease-node", { leaseDurationSeconds: 2 });
    const nodeUid = (await c.core.readNode({ name: "lease-node" })).metadata?.uid;
    const first = await lease("lease-node");
    expect(first.spec).toMatchObject({ holderIdentity: "lease-node", leaseDurationSeconds: 2 });
    expect(first.metadata?.ownerReferences).toEqual([{ apiVersion: "v1", kind: "Node", name: "lease-node", uid: nodeUid }]);
    const renewed = await waitFor("a renewal", async () => {
      const l = await lease("lease-node");
      return new Date(l.spec?.renewTime ?? 0).getTime() > new Date(first.spec?.renewTime ?? 0).getTime() ? l : undefined;
    }, 3000);
    expect(String(renewed.spec?.renewTime)).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{6}Z$/); // a MicroTime

    await node.close();
    const stopped = await c.core.readNode({ name: "lease-node" });
    expect(readyCondition(stopped)).toMatchObject({ status: "False", reason: "KubeletNotReady", message: "node is shutting down" });
    const last = String((await lease("lease-node")).spec?.renewTime);
    await new Promise((r) => setTimeout(r, 1200)); // more than two renewal periods
    expect(String((await lease("lease-node")).spec?.renewTime)).toBe(last);
  });

  it("ignores a pod bound to another node, while it runs those bound to it", async () => {
    await c.core.createNamespacedPod({ namespace: NS, body: pod("elsewhere", { nodeName: "no-such-node" }) });
    await c.core.createNamespacedPod({ namespace: NS, body: pod("here") });
    const here = await readyPod("here");
    expect(here.spec?.nodeName).toBe("kube-sim");
    expect(here.status?.conditions?.find((x) => x.type === "PodScheduled")?.status).toBe("True");
    const elsewhere = await c.core.readNamespacedPod({ name: "elsewhere", namespace: NS });
    expect(elsewhere.status).toMatchObject({ phase: "Pending" });
    expect(elsewhere.status?.podIP).toBeUndefined();
    expect(elsewhere.status?.containerStatuses).toBeUndefined();
    expect(c.sim.audit().filter((e) => e.resource === "pods" && e.name === "elsewhere" && e.user === "system:kube-sim")).toEqual([]);
    await c.core.deleteNamespacedPod({ name: "elsewhere", namespace: NS, gracePeriodSeconds: 0 });
  });

  it("binds through pods/binding: once only, and never a pod for another scheduler", async () => {
    await c.core.createNamespacedPod({ namespace: NS, body: pod("custom", { schedulerName: "my-scheduler" }) });
    const binding = { metadata: { name: "custom" }, target: { apiVersion: "v1", kind: "Node", name: "kube-sim" } };
    expect((await c.core.readNamespacedPod({ name: "custom", namespace: NS })).spec?.nodeName).toBeUndefined();
    await c.core.createNamespacedPodBinding({ name: "custom", namespace: NS, body: binding });
    const bound = await readyPod("custom");
    expect(bound.spec?.nodeName).toBe("kube-sim");
    const again = await failure(c.core.createNamespacedPodBinding({ name: "custom", namespace: NS, body: binding }));
    expect(again).toMatchObject({ code: 409, reason: "Conflict", message: 'Operation cannot be fulfilled on pods/binding "custom": pod custom is already assigned to node "kube-sim"' });
    const mine = c.sim.audit().filter((e) => e.name === "custom" && e.subresource === "binding");
    expect(mine.map((e) => [e.verb, e.user, e.code])).toEqual([
      ["create", "kube-sim-admin", 201],
      ["create", "kube-sim-admin", 409],
    ]);
  });

  it("leaves a pod no node can take Pending (PodScheduled=False, Unschedulable), and binds it once a node fits", async () => {
    await c.core.createNamespacedPod({ namespace: NS, body: pod("picky", { nodeSelector: { disk: "ssd" } }) });
    const waiting = await waitFor("Unschedulable", async () => {
      const p = await c.core.readNamespacedPod({ name: "picky", namespace: NS });
      return p.status?.conditions?.find((x) => x.type === "PodScheduled" && x.reason === "Unschedulable");
    });
    expect(waiting.status).toBe("False");
    expect(waiting.message).toMatch(/^0\/\d+ nodes are available: .*\d+ node\(s\) didn't match Pod's node affinity\/selector/);
    await c.core.patchNode({ name: "kube-sim", body: { metadata: { labels: { disk: "ssd" } } } }, merge);
    const running = await readyPod("picky");
    expect(running.spec?.nodeName).toBe("kube-sim");
    await c.core.patchNode({ name: "kube-sim", body: { metadata: { labels: { disk: null } } } }, merge);
  });

  it("a second node joins: pods spread over both, each kubelet runs its own and finishes their deletion (grace 0, uid precondition)", async () => {
    await joinNode("worker-2");
    const ns = "spread";
    await c.core.createNamespace({ body: { metadata: { name: ns } } });
    await c.apps.createNamespacedDeployment({ namespace: ns, body: deployment("spread", 10, { readinessProbe: HEALTH_PROBE }) });
    const pods = await waitFor("10 ready pods", async () => {
      const list = await c.core.listNamespacedPod({ namespace: ns });
      return list.items.length === 10 && list.items.every(isReady) ? list.items : undefined;
    });
    const onWorker = pods.filter((p) => p.spec?.nodeName === "worker-2");
    expect(onWorker.length).toBeGreaterThan(0);
    expect(pods.filter((p) => p.spec?.nodeName === "kube-sim").length).toBeGreaterThan(0);
    expect(new Set(pods.map((p) => p.status?.podIP)).size).toBe(10);
    const statusWriters = new Set(c.sim.audit().filter((e) => e.namespace === ns && e.resource === "pods" && e.subresource === "status").map((e) => e.user));
    expect([...statusWriters].sort()).toEqual(["system:kube-sim", "system:node:worker-2"]);

    // Both nodes' proxies follow the Service; the first to publish keeps it (no tug of war).
    await c.core.createNamespacedService({ namespace: ns, body: { metadata: { name: "spread" }, spec: { selector: { app: "spread" }, ports: [{ port: 80, targetPort: 8080 }] } } });
    const port = await publishedPort(c, "spread", ns);
    await c.apps.patchNamespacedDeployment({ name: "spread", namespace: ns, body: { spec: { replicas: 8 } } }, merge);
    await waitFor("8 pods", async () => (await c.core.listNamespacedPod({ namespace: ns })).items.filter((p) => !p.metadata?.deletionTimestamp).length === 8);
    await waitFor("an answer through the published port", () => fetch(`http://127.0.0.1:${port}/version`).then((r) => r.ok, () => false));
    expect(await publishedPort(c, "spread", ns)).toBe(port);
    const publishes = c.sim.audit().filter((e) => e.namespace === ns && e.resource === "services" && e.verb === "patch" && (e.code ?? 0) < 300);
    expect(publishes).toHaveLength(1);

    const victim = onWorker[0]!;
    await c.core.deleteNamespacedPod({ name: victim.metadata?.name ?? "", namespace: ns });
    await waitFor("the pod gone", async () => (await c.core.listNamespacedPod({ namespace: ns, fieldSelector: `metadata.name=${victim.metadata?.name}` })).items.length === 0);
    const finish = c.sim.audit().filter((e) => e.verb === "delete" && e.name === victim.metadata?.name && e.user === "system:node:worker-2");
    expect(finish).toHaveLength(1);
    expect(finish[0]?.body).toMatchObject({ gracePeriodSeconds: 0, preconditions: { uid: victim.metadata?.uid } });
  });
});
