/**
 * kube-sim's node against a real API server (kube-apiserver + kube-controller-manager +
 * kube-scheduler), named by BATON_TEST_KUBECONFIG (e.g. the admin kubeconfig `scripts/k8s up`
 * writes). Skipped without it. The node joins in this process, under a name of its own, with pod
 * addresses from BATON_TEST_POD_CIDR (default 10.244.0.0/16, scripts/k8s's) and Services on their
 * ClusterIPs: both ranges must be local to this machine (scripts/k8s up makes them so).
 */
import { request } from "node:http";
import { randomBytes } from "node:crypto";
import * as k8s from "@kubernetes/client-node";
import { startNode, type KubeSimNode } from "@baton/kube-sim";
import { serviceUrl } from "@baton/runtime";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { waitFor } from "./support.js";

const KUBECONFIG = process.env.BATON_TEST_KUBECONFIG ?? "";
const POD_CIDR = process.env.BATON_TEST_POD_CIDR || "10.244.0.0/16";
const why = KUBECONFIG ? "" : " (skipped: set BATON_TEST_KUBECONFIG to a real cluster's admin kubeconfig, e.g. the one `scripts/k8s up --kubeconfig PATH` writes)";

const suffix = randomBytes(3).toString("hex");
const NODE = `kube-sim-test-${suffix}`;
const NS = `node-${suffix}`;
let node: KubeSimNode | undefined;
let kc: k8s.KubeConfig;
let core: k8s.CoreV1Api;
let apps: k8s.AppsV1Api;

beforeAll(async () => {
  if (!KUBECONFIG) return;
  kc = new k8s.KubeConfig();
  kc.loadFromFile(KUBECONFIG);
  core = kc.makeApiClient(k8s.CoreV1Api);
  apps = kc.makeApiClient(k8s.AppsV1Api);
  node = await startNode({ kubeconfig: KUBECONFIG, nodeName: NODE, podCIDR: POD_CIDR, serviceProxy: "cluster-ip", probeIntervalMs: 100 });
  await core.createNamespace({ body: { metadata: { name: NS } } });
}, 60_000);
afterAll(async () => {
  if (!KUBECONFIG) return;
  // The node finishes its pods' deletion before it leaves (else they would wait for the pod GC).
  await core.deleteNamespace({ name: NS }).catch(() => undefined);
  await waitFor("the test's pods gone", async () => (await core.listNamespacedPod({ namespace: NS })).items.length === 0, 30_000).catch(() => undefined);
  await node?.close();
  await core.deleteNode({ name: NODE }).catch(() => undefined);
}, 60_000);

interface Answer {
  status: number;
  body: string;
}

function get(url: string): Promise<Answer> {
  return new Promise((resolve, reject) => {
    const req = request(url, { agent: false, timeout: 10_000 }, (res) => {
      let body = "";
      res.on("data", (c: Buffer) => (body += c.toString()));
      res.on("end", () => resolve({ status: res.statusCode ?? 0, body }));
    });
    req.on("timeout", () => req.destroy(new Error("timed out")));
    req.on("error", reject);
    req.end();
  });
}

function isReady(p: k8s.V1Pod): boolean {
  return p.status?.conditions?.some((c) => c.type === "Ready" && c.status === "True") ?? false;
}

async function podsOf(selector: string): Promise<k8s.V1Pod[]> {
  return (await core.listNamespacedPod({ namespace: NS, labelSelector: selector })).items;
}

describe.skipIf(!KUBECONFIG)(`kube-sim's node on a real API server${why}`, () => {
  it("registers a Ready Node with a Lease the control plane accepts", async () => {
    const n = await core.readNode({ name: NODE });
    expect(n.status?.conditions?.find((c) => c.type === "Ready")).toMatchObject({ status: "True", reason: "KubeletReady" });
    expect(n.status?.nodeInfo?.kubeletVersion).toMatch(/-kube-sim$/);
    // the API server writes quantities in canonical form: the node's "1000" pods come back as "1k"
    expect(n.status?.allocatable?.pods).toMatch(/^(1000|1k)$/);
    const lease = await kc.makeApiClient(k8s.CoordinationV1Api).readNamespacedLease({ name: NODE, namespace: "kube-node-lease" });
    expect(lease.spec).toMatchObject({ holderIdentity: NODE, leaseDurationSeconds: 40 });
    expect(Date.now() - new Date(String(lease.spec?.renewTime)).getTime()).toBeLessThan(15_000);
  });

  it("runs a Deployment's pods Running and Ready, reachable at their Service's ClusterIP; a scale-down SIGTERMs and removes pods", async () => {
    // Given a Deployment scheduled (by kube-scheduler) onto this node, and a Service for it
    const labels = { app: "web" };
    const env = [
      { name: "DEMO_LATENCY_MS", value: "1500" },
      { name: "DEMO_DRAIN_MS", value: "5000" },
    ];
    const container: k8s.V1Container = { name: "app", image: "baton.dev/demo-app:3.1.4", ports: [{ containerPort: 8080 }], env, readinessProbe: { httpGet: { path: "/healthz", port: 8080 }, periodSeconds: 1 } };
    await apps.createNamespacedDeployment({
      namespace: NS,
      body: { metadata: { name: "web" }, spec: { replicas: 3, selector: { matchLabels: labels }, template: { metadata: { labels }, spec: { nodeSelector: { "kubernetes.io/hostname": NODE }, containers: [container] } } } },
    });
    await core.createNamespacedService({ namespace: NS, body: { metadata: { name: "web" }, spec: { selector: labels, ports: [{ port: 80, targetPort: 8080 }] } } });
    const pods = await waitFor("3 Running and Ready pods", async () => {
      const list = await podsOf("app=web");
      return list.length === 3 && list.every((p) => isReady(p) && p.status?.phase === "Running") ? list : undefined;
    }, 60_000);
    for (const p of pods) {
      expect(p.spec?.nodeName).toBe(NODE);
      expect(p.status?.containerStatuses?.[0]).toMatchObject({ ready: true, started: true, restartCount: 0, image: "baton.dev/demo-app:3.1.4", state: { running: {} } });
      expect(p.status?.containerStatuses?.[0]?.containerID).toMatch(/^kube-sim:\/\//);
    }

    // Then kube-controller-manager lists them in the Service's EndpointSlice, and the ClusterIP answers
    const discovery = kc.makeApiClient(k8s.DiscoveryV1Api);
    await waitFor("3 ready endpoints", async () => {
      const slices = (await discovery.listNamespacedEndpointSlice({ namespace: NS, labelSelector: "kubernetes.io/service-name=web" })).items;
      return slices.flatMap((s) => s.endpoints ?? []).filter((e) => e.conditions?.ready).length === 3;
    }, 30_000);
    const url = await serviceUrl(core, { BATON_SERVICE_ADDRESS: "cluster-ip", BATON_CLUSTER_DOMAIN: "cluster.local" }, NS, "web");
    const answer = await waitFor("an answer at the ClusterIP", () => get(`${url}/version`).catch(() => undefined), 30_000);
    expect(answer).toEqual({ status: 200, body: "3.1.4" });

    // When it is scaled down while every pod has a request in flight
    const inFlight = pods.map((p) => get(`http://${p.status?.podIP}:8080/slow`));
    await new Promise((r) => setTimeout(r, 300));
    await apps.patchNamespacedDeploymentScale({ name: "web", namespace: NS, body: { spec: { replicas: 1 } } }, k8s.setHeaderOptions("Content-Type", k8s.PatchStrategy.MergePatch));

    // Then the two surplus pods finish their request (SIGTERM, drain), stop serving and are removed
    expect((await Promise.all(inFlight)).map((a) => a.status)).toEqual([200, 200, 200]);
    const left = await waitFor("one pod left", async () => {
      const list = await podsOf("app=web");
      return list.length === 1 ? list : undefined;
    }, 30_000);
    const gone = pods.filter((p) => p.metadata?.uid !== left[0]?.metadata?.uid);
    expect(gone).toHaveLength(2);
    for (const p of gone) await expect(get(`http://${p.status?.podIP}:8080/version`)).rejects.toMatchObject({ code: "ECONNREFUSED" });
    expect(await get(`${url}/version`)).toEqual({ status: 200, body: "3.1.4" });
  });
});
