/**
 * Events: the reasons, messages and sources the real components record (scheduler, kubelet,
 * deployment and replicaset controllers), counted repeats, the two API groups that serve them
 * (core/v1 and events.k8s.io/v1) and the field selectors `kubectl describe` uses. On a real API
 * server (BATON_TEST_KUBECONFIG, kube-sim's node joined) the real scheduler and controllers write
 * theirs; the kubelet's come from kube-sim's node.
 */
import type * as k8s from "@kubernetes/client-node";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { failure, startSim, waitFor } from "./support.js";
import { ON_REAL, openTarget, simOnly, type Target } from "./target.js";

let t: Target;
let ns: string;

beforeAll(async () => {
  t = await openTarget({ probeIntervalMs: 20 });
  ns = await t.namespace("events");
}, 60_000);
afterAll(async () => {
  await t?.close();
});

const IMAGE = "baton.dev/demo-app:2.1.0";
const probe: k8s.V1Probe = { httpGet: { path: "/healthz", port: 8080 }, periodSeconds: 1 };

function deploymentBody(name: string, replicas: number, image = IMAGE, env: Record<string, string> = {}): k8s.V1Deployment {
  const labels = { app: name };
  const container: k8s.V1Container = { name: "app", image, ports: [{ containerPort: 8080 }], readinessProbe: probe, env: Object.entries(env).map(([n, value]) => ({ name: n, value })) };
  return { metadata: { name }, spec: { replicas, selector: { matchLabels: labels }, template: { metadata: { labels }, spec: { terminationGracePeriodSeconds: 2, containers: [container] } } } };
}

async function events(fieldSelector: string): Promise<k8s.CoreV1Event[]> {
  return (await t.core.listNamespacedEvent({ namespace: ns, fieldSelector })).items;
}

async function eventsOn(kind: string, name: string, reasons: string[]): Promise<k8s.CoreV1Event[]> {
  return waitFor(`${reasons.join(", ")} on ${kind} ${name}`, async () => {
    const found = await events(`involvedObject.kind=${kind},involvedObject.name=${name}`);
    return reasons.every((r) => found.some((e) => e.reason === r)) ? found : undefined;
  }, 30_000);
}

async function podOf(app: string): Promise<k8s.V1Pod> {
  return waitFor(`a pod of ${app}`, async () => (await t.core.listNamespacedPod({ namespace: ns, labelSelector: `app=${app}` })).items[0], 30_000);
}

describe("events", () => {
  it("tell a Deployment's rollout: ScalingReplicaSet, SuccessfulCreate, Scheduled, Pulled, Created, Started", async () => {
    await t.apps.createNamespacedDeployment({ namespace: ns, body: deploymentBody("shop", 1) });
    const scaling = await eventsOn("Deployment", "shop", ["ScalingReplicaSet"]);
    const rsName = /^Scaled up replica set (\S+) from 0 to 1$/.exec(scaling[0]?.message ?? "")?.[1] ?? "";
    expect(rsName).toMatch(/^shop-/);
    expect(scaling[0]).toMatchObject({ type: "Normal", source: { component: "deployment-controller" }, involvedObject: { apiVersion: "apps/v1", kind: "Deployment", namespace: ns } });
    const pod = await podOf("shop");
    const podName = pod.metadata?.name ?? "";
    const onRs = await eventsOn("ReplicaSet", rsName, ["SuccessfulCreate"]);
    expect(onRs.find((e) => e.reason === "SuccessfulCreate")).toMatchObject({ type: "Normal", message: `Created pod: ${podName}`, source: { component: "replicaset-controller" } });
    const onPod = await eventsOn("Pod", podName, ["Scheduled", "Pulled", "Created", "Started"]);
    const by = (reason: string) => onPod.find((e) => e.reason === reason);
    expect(by("Scheduled")).toMatchObject({ type: "Normal", reportingComponent: "default-scheduler", action: "Binding", message: `Successfully assigned ${ns}/${podName} to ${pod.spec?.nodeName ?? ""}` });
    const kubelet = { type: "Normal", source: { component: "kubelet", host: pod.spec?.nodeName ?? "" }, involvedObject: { kind: "Pod", name: podName, uid: pod.metadata?.uid ?? "", fieldPath: "spec.containers{app}" } };
    expect(by("Pulled")).toMatchObject({ ...kubelet, message: `Container image "${IMAGE}" already present on machine` });
    expect(by("Created")).toMatchObject({ ...kubelet, message: "Created container: app" });
    expect(by("Started")).toMatchObject({ ...kubelet, message: "Started container app" });
    // the selector kubectl describe pod sends finds them by the pod's uid
    const described = await events(`involvedObject.name=${podName},involvedObject.namespace=${ns},involvedObject.kind=Pod,involvedObject.uid=${pod.metadata?.uid ?? ""}`);
    expect(described.map((e) => e.reason)).toEqual(expect.arrayContaining(["Scheduled", "Pulled", "Created", "Started"]));
  });

  it("tell why a pod never starts: Failed with ErrImagePull and ImagePullBackOff, and the back-off", async () => {
    const image = "registry.example.com/shop/web:9.9.9";
    await t.apps.createNamespacedDeployment({ namespace: ns, body: deploymentBody("unpullable", 1, image) });
    const pod = await podOf("unpullable");
    const onPod = await waitFor("the back-off's Failed event", async () => {
      const found = await eventsOn("Pod", pod.metadata?.name ?? "", ["Pulling", "Failed", "BackOff"]);
      return found.some((e) => e.message === "Error: ImagePullBackOff") ? found : undefined;
    }, 30_000);
    const failed = onPod.filter((e) => e.reason === "Failed").map((e) => e.message);
    expect(failed).toContain("Error: ErrImagePull");
    expect(failed).toContain("Error: ImagePullBackOff");
    expect(failed.find((m) => m?.startsWith(`Failed to pull image "${image}": `))).toBeDefined();
    expect(onPod.find((e) => e.reason === "Failed")?.type).toBe("Warning");
    expect(onPod.find((e) => e.reason === "BackOff")?.message).toBe(`Back-off pulling image "${image}"`);
  });

  it("count a repeated probe failure on one Event (Unhealthy, count and lastTimestamp), as a recorder does", async () => {
    await t.apps.createNamespacedDeployment({ namespace: ns, body: deploymentBody("sulky", 1, IMAGE, { DEMO_NEVER_READY: "true" }) });
    const pod = await podOf("sulky");
    const name = pod.metadata?.name ?? "";
    const unhealthy = await waitFor("Unhealthy counted twice", async () => {
      const found = (await events(`involvedObject.name=${name},reason=Unhealthy`)).filter((e) => e.reason === "Unhealthy");
      return found.length === 1 && (found[0]?.count ?? 0) >= 2 ? found : undefined;
    }, 30_000);
    expect(unhealthy[0]).toMatchObject({ type: "Warning", message: "Readiness probe failed: HTTP probe failed with statuscode: 503", source: { component: "kubelet" } });
    expect(new Date(unhealthy[0]?.lastTimestamp ?? 0).getTime()).toBeGreaterThanOrEqual(new Date(unhealthy[0]?.firstTimestamp ?? 0).getTime());
  });

  it("record Killing and SuccessfulDelete when a Deployment scales down", async () => {
    await t.apps.createNamespacedDeployment({ namespace: ns, body: deploymentBody("shrinking", 1) });
    const pod = await podOf("shrinking");
    await eventsOn("Pod", pod.metadata?.name ?? "", ["Started"]);
    await t.apps.patchNamespacedDeploymentScale({ name: "shrinking", namespace: ns, body: [{ op: "replace", path: "/spec/replicas", value: 0 }] });
    const onDeployment = await eventsOn("Deployment", "shrinking", ["ScalingReplicaSet"]);
    await waitFor("scaled down", async () => (await events("involvedObject.name=shrinking")).some((e) => /^Scaled down replica set shrinking-\S+ from 1 to 0$/.test(e.message ?? "")));
    expect(onDeployment.length).toBeGreaterThanOrEqual(1);
    const killing = await eventsOn("Pod", pod.metadata?.name ?? "", ["Killing"]);
    expect(killing.find((e) => e.reason === "Killing")?.message).toBe("Stopping container app");
    const rs = pod.metadata?.ownerReferences?.[0]?.name ?? "";
    const onRs = await eventsOn("ReplicaSet", rs, ["SuccessfulDelete"]);
    expect(onRs.find((e) => e.reason === "SuccessfulDelete")?.message).toBe(`Deleted pod: ${pod.metadata?.name ?? ""}`);
  });

  it("are served in core/v1 and events.k8s.io/v1: the same objects, two views", async () => {
    const created = await t.custom.createNamespacedCustomObject({
      group: "events.k8s.io",
      version: "v1",
      namespace: ns,
      plural: "events",
      body: {
        apiVersion: "events.k8s.io/v1",
        kind: "Event",
        metadata: { name: "viewed.1" },
        eventTime: "2026-01-02T03:04:05.123456Z",
        reportingController: "baton.dev/test",
        reportingInstance: "test-1",
        action: "Check",
        reason: "Viewed",
        note: "seen from both sides",
        type: "Normal",
        regarding: { apiVersion: "v1", kind: "ConfigMap", namespace: ns, name: "settings" },
      },
    });
    expect(created).toMatchObject({ apiVersion: "events.k8s.io/v1", note: "seen from both sides", regarding: { kind: "ConfigMap", name: "settings" } });
    const core = await t.core.readNamespacedEvent({ name: "viewed.1", namespace: ns });
    expect(core).toMatchObject({ message: "seen from both sides", reason: "Viewed", reportingComponent: "baton.dev/test", reportingInstance: "test-1", action: "Check", involvedObject: { kind: "ConfigMap", name: "settings" } });
    expect(core.metadata?.uid).toBe((created as { metadata: { uid: string } }).metadata.uid);
    const selected = (await t.custom.listNamespacedCustomObject({ group: "events.k8s.io", version: "v1", namespace: ns, plural: "events", fieldSelector: "regarding.name=settings,reportingController=baton.dev/test" })) as { items: { metadata: { name: string } }[] };
    expect(selected.items.map((e) => e.metadata.name)).toEqual(["viewed.1"]);
    expect((await events(`involvedObject.kind=ConfigMap,involvedObject.name=settings,involvedObject.namespace=${ns}`)).map((e) => e.metadata?.name)).toEqual(["viewed.1"]);
    expect((await events(`involvedObject.uid=${core.metadata?.uid ?? ""}`)).length).toBe(0);
  });

  it("refuse a field selector neither view knows, in the real server's words", async () => {
    expect(await failure(t.core.listNamespacedEvent({ namespace: ns, fieldSelector: "note=x" }))).toMatchObject({ code: 400, reason: "BadRequest", message: "field label not supported: note" });
  });
});

describe.skipIf(ON_REAL)(`the scheduler's events${simOnly("needs a pod no node fits, which a shared real cluster may have a node for")}`, () => {
  it("FailedScheduling says why no node fits", async () => {
    await t.core.createNamespacedPod({ namespace: ns, body: { metadata: { name: "picky" }, spec: { nodeSelector: { disk: "ssd" }, containers: [{ name: "app", image: IMAGE }] } } });
    const found = await eventsOn("Pod", "picky", ["FailedScheduling"]);
    expect(found.find((e) => e.reason === "FailedScheduling")).toMatchObject({ type: "Warning", reportingComponent: "default-scheduler", message: "0/1 nodes are available: 1 node(s) didn't match Pod's node affinity/selector." });
  });
});

describe.skipIf(ON_REAL)(`event TTL${simOnly("sets kube-sim's own --event-ttl")}`, () => {
  it("deletes an Event not seen again for longer than the TTL, as the API server's --event-ttl does", async () => {
    const c = await startSim({ eventTtlMs: 400 });
    try {
      const body = { metadata: { name: "old.1" }, involvedObject: { kind: "Pod", name: "p", namespace: "default" }, reason: "Tested", message: "expires", type: "Normal", lastTimestamp: new Date() };
      await c.core.createNamespacedEvent({ namespace: "default", body });
      expect((await c.core.readNamespacedEvent({ name: "old.1", namespace: "default" })).reason).toBe("Tested");
      const gone = () => c.core.readNamespacedEvent({ name: "old.1", namespace: "default" }).then(() => false, (err: { code?: number }) => err.code === 404);
      await waitFor("the Event expired", gone);
    } finally {
      await c.sim.close();
    }
  });
});
