// The controllers behind the API, seen through client-node: Deployment → ReplicaSet → pods,
// the scale subresource, rolling updates, cascading deletion, Endpoints following readiness,
// namespace deletion.
import * as k8s from "@kubernetes/client-node";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { deployment, HEALTH_PROBE, isReady, merge, startSim, waitFor, type SimClients } from "./support.js";

let c: SimClients;
beforeAll(async () => {
  c = await startSim({ probeIntervalMs: 20 });
});
afterAll(async () => {
  await c.sim.close();
});

const ns = "default";
const podsOf = async (selector: string) => (await c.core.listNamespacedPod({ namespace: ns, labelSelector: selector })).items;
const readyDeployment = (name: string, replicas: number) =>
  waitFor(`${name} to have ${replicas} available pods`, async () => {
    const d = await c.apps.readNamespacedDeployment({ name, namespace: ns });
    const s = d.status;
    return s?.availableReplicas === replicas && s.updatedReplicas === replicas && s.replicas === replicas && s.observedGeneration === d.metadata?.generation && d;
  });

describe("deployment controller", () => {
  it("runs a Deployment's replicas as pods named, labelled and owned like a real cluster's, and reports status", async () => {
    await c.apps.createNamespacedDeployment({ namespace: ns, body: deployment("web", 3) });
    const d = await readyDeployment("web", 3);
    const [rs, ...more] = (await c.apps.listNamespacedReplicaSet({ namespace: ns, labelSelector: "app=web" })).items;
    expect(more).toHaveLength(0);
    const hash = rs?.metadata?.labels?.["pod-template-hash"] ?? "";
    expect(rs?.metadata?.name).toBe(`web-${hash}`);
    expect(hash).toMatch(/^[bcdfghjklmnpqrstvwxz2456789]{6,10}$/);
    expect(rs?.metadata?.ownerReferences?.[0]).toMatchObject({ kind: "Deployment", name: "web", uid: d.metadata?.uid, controller: true });
    const pods = await podsOf("app=web");
    expect(pods).toHaveLength(3);
    for (const pod of pods) {
      expect(pod.metadata?.name).toMatch(new RegExp(`^web-${hash}-[bcdfghjklmnpqrstvwxz2456789]{5}$`));
      expect(pod.metadata?.labels).toEqual({ app: "web", "pod-template-hash": hash });
      expect(pod.metadata?.ownerReferences?.[0]).toMatchObject({ kind: "ReplicaSet", name: rs?.metadata?.name, controller: true });
      expect(pod.spec?.nodeName).toBe("kube-sim");
      expect(isReady(pod)).toBe(true);
    }
    const conditions = Object.fromEntries((d.status?.conditions ?? []).map((x) => [x.type, [x.status, x.reason]]));
    expect(conditions).toEqual({ Available: ["True", "MinimumReplicasAvailable"], Progressing: ["True", "NewReplicaSetAvailable"] });
    expect(d.metadata?.annotations?.["deployment.kubernetes.io/revision"]).toBe("1");
  });

  it("follows the scale subresource up and down, deleting surplus pods gracefully", async () => {
    await c.apps.createNamespacedDeployment({ namespace: ns, body: deployment("scaled", 1, { grace: 2, env: { DEMO_IGNORE_SIGTERM: "true" } }) });
    await readyDeployment("scaled", 1);
    const scale = await c.apps.readNamespacedDeploymentScale({ name: "scaled", namespace: ns });
    expect(scale).toMatchObject({ kind: "Scale", apiVersion: "autoscaling/v1", spec: { replicas: 1 }, status: { replicas: 1, selector: "app=scaled" } });
    await c.apps.patchNamespacedDeploymentScale({ name: "scaled", namespace: ns, body: { spec: { replicas: 4 } } }, merge);
    await readyDeployment("scaled", 4);
    await c.apps.replaceNamespacedDeploymentScale({ name: "scaled", namespace: ns, body: { metadata: { name: "scaled", namespace: ns }, spec: { replicas: 0 } } });
    const terminating = await waitFor("4 terminating pods", async () => {
      const pods = await podsOf("app=scaled");
      return pods.length === 4 && pods.every((p) => p.metadata?.deletionTimestamp) && pods;
    });
    for (const pod of terminating) {
      expect(pod.metadata?.deletionGracePeriodSeconds).toBe(2);
      expect(isReady(pod)).toBe(false);
    }
    await waitFor("the pods to end after their grace period", async () => (await podsOf("app=scaled")).length === 0, 8_000);
    const d = await c.apps.readNamespacedDeployment({ name: "scaled", namespace: ns });
    expect(d.status?.replicas ?? 0).toBe(0);
  });

  it("rolls a template change out to a new ReplicaSet without dropping below replicas - maxUnavailable ready pods", async () => {
    const body = deployment("roll", 3, { readinessProbe: HEALTH_PROBE });
    body.spec!.strategy = { type: "RollingUpdate", rollingUpdate: { maxSurge: 1, maxUnavailable: 0 } };
    await c.apps.createNamespacedDeployment({ namespace: ns, body });
    await readyDeployment("roll", 3);
    // Active pods (not being deleted), as the controllers count them: a terminating pod lingers
    // until its kubelet has stopped it, and counts neither for replicas nor for maxSurge.
    const ready = new Map<string, boolean>();
    const active = new Set<string>();
    let minReady = Number.POSITIVE_INFINITY;
    let maxPods = 0;
    const ctl = await new k8s.Watch(c.kc).watch(`/api/v1/namespaces/${ns}/pods`, { labelSelector: "app=roll" }, (type, pod: k8s.V1Pod) => {
      const name = pod.metadata?.name ?? "";
      if (type === "DELETED") ready.delete(name);
      else ready.set(name, isReady(pod) && !pod.metadata?.deletionTimestamp);
      if (type === "DELETED" || pod.metadata?.deletionTimestamp) active.delete(name);
      else active.add(name);
      if (ready.size >= 3) minReady = Math.min(minReady, [...ready.values()].filter(Boolean).length);
      maxPods = Math.max(maxPods, active.size);
    }, () => {});
    await waitFor("the watch's initial pods", () => ready.size === 3);
    const image = [{ op: "replace", path: "/spec/template/spec/containers/0/image", value: "baton.dev/demo-app:2.0.0" }];
    await c.apps.patchNamespacedDeployment({ name: "roll", namespace: ns, body: image });
    const d = await readyDeployment("roll", 3);
    await waitFor("old pods gone", async () => (await podsOf("app=roll")).length === 3);
    ctl.abort();
    expect(minReady).toBe(3);
    expect(maxPods).toBeLessThanOrEqual(4);
    const sets = (await c.apps.listNamespacedReplicaSet({ namespace: ns, labelSelector: "app=roll" })).items;
    const byRevision = Object.fromEntries(sets.map((rs) => [rs.metadata?.annotations?.["deployment.kubernetes.io/revision"], [rs.spec?.replicas, rs.spec?.template?.spec?.containers[0]?.image]]));
    expect(byRevision).toEqual({ "1": [0, "baton.dev/demo-app:1.0.0"], "2": [3, "baton.dev/demo-app:2.0.0"] });
    expect(d.metadata?.annotations?.["deployment.kubernetes.io/revision"]).toBe("2");
    const pods = await podsOf("app=roll");
    expect(pods.map((p) => p.spec?.containers[0]?.image)).toEqual(Array(3).fill("baton.dev/demo-app:2.0.0"));
  });
});

describe("garbage collector", () => {
  it("deletes a Deployment's ReplicaSets and pods in the background", async () => {
    await c.apps.createNamespacedDeployment({ namespace: ns, body: deployment("gc-bg", 2) });
    await readyDeployment("gc-bg", 2);
    await c.apps.deleteNamespacedDeployment({ name: "gc-bg", namespace: ns });
    await waitFor("pods and replicasets gone", async () => {
      const rs = await c.apps.listNamespacedReplicaSet({ namespace: ns, labelSelector: "app=gc-bg" });
      return rs.items.length === 0 && (await podsOf("app=gc-bg")).length === 0;
    });
  });

  it("keeps a Deployment deleted in the foreground until its pods are gone", async () => {
    await c.apps.createNamespacedDeployment({ namespace: ns, body: deployment("gc-fg", 2, { grace: 1, env: { DEMO_IGNORE_SIGTERM: "true" } }) });
    await readyDeployment("gc-fg", 2);
    await c.apps.deleteNamespacedDeployment({ name: "gc-fg", namespace: ns, propagationPolicy: "Foreground" });
    const d = await c.apps.readNamespacedDeployment({ name: "gc-fg", namespace: ns });
    expect(d.metadata?.deletionTimestamp).toBeDefined();
    expect(d.metadata?.finalizers).toEqual(["foregroundDeletion"]);
    await waitFor("pods terminating", async () => (await podsOf("app=gc-fg")).every((p) => p.metadata?.deletionTimestamp));
    await c.apps.readNamespacedDeployment({ name: "gc-fg", namespace: ns });
    await waitFor("the deployment gone", async () => {
      try {
        await c.apps.readNamespacedDeployment({ name: "gc-fg", namespace: ns });
        return false;
      } catch (err) {
        return err instanceof k8s.ApiException && err.code === 404;
      }
    }, 8_000);
    expect(await podsOf("app=gc-fg")).toHaveLength(0);
  });

  it("orphans the ReplicaSet of a Deployment deleted with propagationPolicy Orphan", async () => {
    await c.apps.createNamespacedDeployment({ namespace: ns, body: deployment("gc-or", 1) });
    await readyDeployment("gc-or", 1);
    await c.apps.deleteNamespacedDeployment({ name: "gc-or", namespace: ns, propagationPolicy: "Orphan" });
    const rs = await waitFor("an orphaned replicaset", async () => {
      const items = (await c.apps.listNamespacedReplicaSet({ namespace: ns, labelSelector: "app=gc-or" })).items;
      return items.length === 1 && !items[0]?.metadata?.ownerReferences && items[0];
    });
    expect(rs.spec?.replicas).toBe(1);
    expect(await podsOf("app=gc-or")).toHaveLength(1);
  });
});

describe("endpoints controller", () => {
  it("lists pods not ready yet in notReadyAddresses, ready ones in addresses, terminating ones nowhere", async () => {
    const body = deployment("ep", 2, { readinessProbe: HEALTH_PROBE, env: { DEMO_START_DELAY_MS: "400", DEMO_IGNORE_SIGTERM: "true" }, grace: 3 });
    await c.apps.createNamespacedDeployment({ namespace: ns, body });
    await c.core.createNamespacedService({ namespace: ns, body: { metadata: { name: "ep" }, spec: { selector: { app: "ep" }, ports: [{ name: "web", port: 80, targetPort: "http" }] } } });
    const readEp = () => c.core.readNamespacedEndpoints({ name: "ep", namespace: ns });
    const early = await waitFor("two not-ready addresses", async () => {
      const ep = await readEp();
      return ep.subsets?.[0]?.notReadyAddresses?.length === 2 && ep;
    });
    expect(early.subsets?.[0]?.addresses).toBeUndefined();
    expect(early.subsets?.[0]?.ports).toEqual([{ name: "web", port: 8080, protocol: "TCP" }]);
    const ready = await waitFor("two ready addresses", async () => {
      const ep = await readEp();
      return ep.subsets?.[0]?.addresses?.length === 2 && ep;
    });
    const pods = await podsOf("app=ep");
    expect(ready.subsets?.[0]?.addresses?.map((a) => a.ip).sort()).toEqual(pods.map((p) => p.status?.podIP).sort());
    const victim = pods[0]?.metadata?.name ?? "";
    await c.core.deleteNamespacedPod({ name: victim, namespace: ns });
    const after = await waitFor("the deleted pod out of the endpoints", async () => {
      const ep = await readEp();
      const all = [...(ep.subsets?.[0]?.addresses ?? []), ...(ep.subsets?.[0]?.notReadyAddresses ?? [])];
      return !all.some((a) => a.targetRef?.name === victim) && ep;
    });
    const stillThere = await c.core.readNamespacedPod({ name: victim, namespace: ns });
    expect(stillThere.metadata?.deletionTimestamp).toBeDefined();
    expect(after.subsets?.[0]?.addresses?.map((a) => a.targetRef?.name)).toContain(pods[1]?.metadata?.name);
  });
});

describe("namespace lifecycle", () => {
  it("deletes everything in a deleted namespace, then the namespace", async () => {
    await c.core.createNamespace({ body: { metadata: { name: "doomed" } } });
    await c.apps.createNamespacedDeployment({ namespace: "doomed", body: deployment("app", 2) });
    await c.core.createNamespacedConfigMap({ namespace: "doomed", body: { metadata: { name: "cfg" } } });
    await waitFor("pods in doomed", async () => (await c.core.listNamespacedPod({ namespace: "doomed" })).items.length === 2);
    const marked = await c.core.deleteNamespace({ name: "doomed" });
    expect((marked as k8s.V1Namespace).status?.phase).toBe("Terminating");
    await waitFor("the namespace gone", async () => !(await c.core.listNamespace()).items.some((n) => n.metadata?.name === "doomed"), 8_000);
    expect((await c.core.listPodForAllNamespaces()).items.filter((p) => p.metadata?.namespace === "doomed")).toHaveLength(0);
    expect((await c.core.listConfigMapForAllNamespaces()).items.filter((p) => p.metadata?.namespace === "doomed")).toHaveLength(0);
  });

  it("starts with a default namespace and a Ready node", async () => {
    const names = (await c.core.listNamespace()).items.map((n) => n.metadata?.name);
    expect(names).toContain("default");
    const node = await c.core.readNode({ name: "kube-sim" });
    expect(node.status?.conditions?.find((x) => x.type === "Ready")?.status).toBe("True");
  });
});
