/** The kubelet: demo-app pods really run, honour readiness probes and the DEMO_* env, and end gracefully. */
import { request } from "node:http";
import type * as k8s from "@kubernetes/client-node";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { deployment, isReady, startSim, waitFor, type SimClients } from "./support.js";

let c: SimClients;
const NS = "default";

beforeAll(async () => {
  c = await startSim({ probeIntervalMs: 20 });
});
afterAll(async () => {
  await c?.sim.close();
});

interface Answer {
  status: number;
  body: string;
}

function get(ip: string, port: number, path: string): Promise<Answer> {
  return new Promise((resolve, reject) => {
    const req = request({ host: ip, port, path, agent: false }, (res) => {
      let body = "";
      res.setEncoding("utf8");
      res.on("data", (d: string) => (body += d));
      res.on("end", () => resolve({ status: res.statusCode ?? 0, body }));
      res.on("error", reject);
    });
    req.on("error", reject);
    req.end();
  });
}

function env(values: Record<string, string>): k8s.V1EnvVar[] {
  return Object.entries(values).map(([name, value]) => ({ name, value }));
}

const probe: k8s.V1Probe = { httpGet: { path: "/healthz", port: 8080 }, periodSeconds: 1, failureThreshold: 1 };

/** A bare pod (no Deployment) of the demo app with the given env and probe. */
function pod(name: string, opts: { image?: string; env?: Record<string, string>; probe?: k8s.V1Probe; grace?: number } = {}): k8s.V1Pod {
  return {
    metadata: { name, labels: { test: name } },
    spec: {
      ...(opts.grace !== undefined ? { terminationGracePeriodSeconds: opts.grace } : {}),
      containers: [
        {
          name: "app",
          image: opts.image ?? "baton.dev/demo-app:1.0.0",
          ports: [{ containerPort: 8080 }],
          ...(opts.env ? { env: env(opts.env) } : {}),
          ...(opts.probe ? { readinessProbe: opts.probe } : {}),
        },
      ],
    },
  };
}

async function readPod(name: string): Promise<k8s.V1Pod> {
  return c.core.readNamespacedPod({ name, namespace: NS });
}

async function readyPod(name: string, timeoutMs = 5000): Promise<k8s.V1Pod> {
  return waitFor(`pod ${name} Ready`, async () => {
    const p = await readPod(name);
    return isReady(p) ? p : undefined;
  }, timeoutMs);
}

async function gone(name: string, timeoutMs = 5000): Promise<void> {
  await waitFor(`pod ${name} gone`, async () => {
    const list = await c.core.listNamespacedPod({ namespace: NS, fieldSelector: `metadata.name=${name}` });
    return list.items.length === 0;
  }, timeoutMs);
}

describe("kubelet", () => {
  it("runs the pods of a Deployment: Ready, Running, each on its own IP, answering /version", async () => {
    await c.apps.createNamespacedDeployment({ namespace: NS, body: deployment("web", 3, { image: "baton.dev/demo-app:2.1.0", readinessProbe: probe }) });
    const pods = await waitFor("3 ready pods", async () => {
      const list = await c.core.listNamespacedPod({ namespace: NS, labelSelector: "app=web" });
      return list.items.length === 3 && list.items.every(isReady) ? list.items : undefined;
    });
    const ips = pods.map((p) => p.status?.podIP ?? "");
    expect(new Set(ips).size).toBe(3);
    for (const p of pods) {
      expect(p.status?.phase).toBe("Running");
      expect(p.status?.hostIP).toBe("127.0.0.1");
      expect(p.status?.podIPs).toEqual([{ ip: p.status?.podIP }]);
      expect(p.status?.containerStatuses?.[0]).toMatchObject({ name: "app", ready: true, started: true, state: { running: {} } });
      expect(p.status?.conditions?.map((x) => x.type)).toEqual(expect.arrayContaining(["PodScheduled", "Initialized", "ContainersReady", "Ready"]));
      expect(await get(p.status?.podIP ?? "", 8080, "/version")).toEqual({ status: 200, body: "2.1.0" });
      const other = await get(p.status?.podIP ?? "", 8080, "/catalog?x=1");
      expect(JSON.parse(other.body)).toEqual({ version: "2.1.0", path: "/catalog", pod: p.metadata?.name });
    }
    const writes = c.sim.audit().filter((e) => e.resource === "pods" && e.subresource === "status" && e.user === "system:kube-sim");
    expect(writes.length).toBeLessThanOrEqual(3 * 3);
  });

  it("keeps a pod with DEMO_START_DELAY_MS unready until the delay has passed", async () => {
    const created = Date.now();
    await c.core.createNamespacedPod({ namespace: NS, body: pod("slow", { env: { DEMO_START_DELAY_MS: "600", DEMO_VERSION: "slow-1" }, probe }) });
    const running = await waitFor("slow running", async () => ((await readPod("slow")).status?.phase === "Running" ? readPod("slow") : undefined));
    expect(isReady(running)).toBe(false);
    expect((await get(running.status?.podIP ?? "", 8080, "/healthz")).status).toBe(503);
    await readyPod("slow");
    expect(Date.now() - created).toBeGreaterThanOrEqual(600);
    expect(await get(running.status?.podIP ?? "", 8080, "/version")).toEqual({ status: 200, body: "slow-1" });
  });

  it("never readies a DEMO_NEVER_READY pod with a readiness probe, though it serves", async () => {
    await c.core.createNamespacedPod({ namespace: NS, body: pod("never", { env: { DEMO_NEVER_READY: "true" }, probe }) });
    const p = await waitFor("never running", async () => ((await readPod("never")).status?.phase === "Running" ? readPod("never") : undefined));
    const ip = p.status?.podIP ?? "";
    await waitFor("several failed probes", async () => (await get(ip, 8080, "/healthz")).status === 503 && Date.now() - new Date(p.status?.startTime ?? 0).getTime() > 300);
    const later = await readPod("never");
    expect(isReady(later)).toBe(false);
    expect(later.status?.conditions?.find((x) => x.type === "Ready")).toMatchObject({ status: "False", reason: "ContainersNotReady" });
    expect((await get(ip, 8080, "/version")).status).toBe(200);
  });

  it("never starts a pod whose image is not the demo app (ErrImagePull / ImagePullBackOff)", async () => {
    await c.core.createNamespacedPod({ namespace: NS, body: pod("nope", { image: "registry.example.com/shop/web:2.0.0", probe }) });
    const p = await waitFor("image pull failure", async () => {
      const x = await readPod("nope");
      const reason = (x.status?.containerStatuses?.[0]?.state?.waiting as { reason?: string } | undefined)?.reason;
      return reason === "ErrImagePull" || reason === "ImagePullBackOff" ? x : undefined;
    });
    expect(p.status?.phase).toBe("Pending");
    expect(isReady(p)).toBe(false);
    await waitFor("ImagePullBackOff", async () => (await readPod("nope")).status?.containerStatuses?.[0]?.state?.waiting?.reason === "ImagePullBackOff");
    const events = await c.core.listNamespacedEvent({ namespace: NS, fieldSelector: "involvedObject.name=nope" });
    expect(events.items.map((e) => e.reason)).toContain("Failed");
    await c.core.deleteNamespacedPod({ name: "nope", namespace: NS });
    await gone("nope");
  });

  it("graceful delete: the pod is unready at once, its in-flight request completes, then it is gone", async () => {
    await c.core.createNamespacedPod({ namespace: NS, body: pod("drain", { env: { DEMO_DRAIN_MS: "3000", DEMO_LATENCY_MS: "400" }, probe, grace: 20 }) });
    const ip = (await readyPod("drain")).status?.podIP ?? "";
    const inFlight = get(ip, 8080, "/work");
    await new Promise((r) => setTimeout(r, 100));
    const started = Date.now();
    const deleted = await c.core.deleteNamespacedPod({ name: "drain", namespace: NS });
    expect(deleted.metadata?.deletionTimestamp).toBeDefined();
    expect(isReady(deleted)).toBe(false);
    await waitFor("new connections refused", () => get(ip, 8080, "/version").then(() => false, (e: NodeJS.ErrnoException) => e.code === "ECONNREFUSED"));
    const answer = await inFlight;
    expect(answer.status).toBe(200);
    expect(JSON.parse(answer.body)).toMatchObject({ path: "/work", pod: "drain" });
    await gone("drain");
    expect(Date.now() - started).toBeLessThan(3000);
  });

  it("DEMO_IGNORE_SIGTERM keeps the pod serving until its grace period ends, then it is killed", async () => {
    await c.core.createNamespacedPod({ namespace: NS, body: pod("stubborn", { env: { DEMO_IGNORE_SIGTERM: "true" }, probe, grace: 1 }) });
    const ip = (await readyPod("stubborn")).status?.podIP ?? "";
    const started = Date.now();
    await c.core.deleteNamespacedPod({ name: "stubborn", namespace: NS });
    await new Promise((r) => setTimeout(r, 300));
    const still = await readPod("stubborn");
    expect(still.metadata?.deletionTimestamp).toBeDefined();
    expect(isReady(still)).toBe(false);
    expect(await get(ip, 8080, "/version")).toEqual({ status: 200, body: "1.0.0" });
    await gone("stubborn");
    expect(Date.now() - started).toBeGreaterThanOrEqual(950);
    await expect(get(ip, 8080, "/version")).rejects.toMatchObject({ code: "ECONNREFUSED" });
  });

  it("a delete with grace period 0 kills the pod at once, cutting its in-flight request", async () => {
    await c.core.createNamespacedPod({ namespace: NS, body: pod("force", { env: { DEMO_DRAIN_MS: "5000", DEMO_LATENCY_MS: "2000" }, probe, grace: 30 }) });
    const ip = (await readyPod("force")).status?.podIP ?? "";
    const inFlight = get(ip, 8080, "/slow");
    await new Promise((r) => setTimeout(r, 100));
    const started = Date.now();
    await c.core.deleteNamespacedPod({ name: "force", namespace: NS, gracePeriodSeconds: 0 });
    await expect(inFlight).rejects.toThrow();
    await gone("force");
    expect(Date.now() - started).toBeLessThan(1000);
  });

  it("a pod deleted without drain time goes at once, not at the end of its grace period", async () => {
    await c.core.createNamespacedPod({ namespace: NS, body: pod("quick", { probe, grace: 30 }) });
    await readyPod("quick");
    const started = Date.now();
    await c.core.deleteNamespacedPod({ name: "quick", namespace: NS });
    await gone("quick");
    expect(Date.now() - started).toBeLessThan(1000);
    const mine = c.sim.audit().filter((e) => e.resource === "pods" && e.name === "quick" && e.user === "system:kube-sim");
    expect(mine.map((e) => `${e.verb}${e.subresource ? `/${e.subresource}` : ""}`).slice(-2)).toEqual(["update/status", "delete"]);
  });

  it("rejects unusable DEMO_* env with a clear container status instead of guessing", async () => {
    await c.core.createNamespacedPod({ namespace: NS, body: pod("badenv", { env: { DEMO_ERROR_RATE: "lots" }, probe }) });
    const waiting = await waitFor("config error", async () => (await readPod("badenv")).status?.containerStatuses?.[0]?.state?.waiting);
    expect(waiting).toMatchObject({ reason: "CreateContainerConfigError", message: expect.stringContaining("DEMO_ERROR_RATE must be a number from 0 to 1") });
  });
});
