/** The kube-proxy: every Service gets a loopback address that balances over its Ready pods. */
import { Agent, request } from "node:http";
import { createServer } from "node:net";
import type * as k8s from "@kubernetes/client-node";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { isReady, merge, startSim, waitFor, type SimClients } from "./support.js";

let c: SimClients;
const NS = "default";
const ADDRESS = "sim.baton.dev/address";

beforeAll(async () => {
  c = await startSim({ probeIntervalMs: 20 });
});
afterAll(async () => {
  await c?.sim.close();
});

interface Answer {
  status: number;
  body: string;
  localPort: number;
}

function get(port: number, path: string, agent: Agent | false = false): Promise<Answer> {
  return new Promise((resolve, reject) => {
    const req = request({ host: "127.0.0.1", port, path, agent }, (res) => {
      let body = "";
      res.setEncoding("utf8");
      res.on("data", (d: string) => (body += d));
      res.on("end", () => resolve({ status: res.statusCode ?? 0, body, localPort: res.socket?.localPort ?? 0 }));
      res.on("error", reject);
    });
    req.on("error", reject);
    req.end();
  });
}

const probe: k8s.V1Probe = { httpGet: { path: "/healthz", port: 8080 }, periodSeconds: 1, failureThreshold: 1 };

function deploy(name: string, labels: Record<string, string>, opts: { replicas?: number; version?: string; env?: Record<string, string> } = {}): Promise<k8s.V1Deployment> {
  const env = Object.entries(opts.env ?? {}).map(([n, value]) => ({ name: n, value }));
  const container: k8s.V1Container = { name: "app", image: `baton.dev/demo-app:${opts.version ?? "1.0.0"}`, ports: [{ containerPort: 8080 }], env, readinessProbe: probe };
  const body: k8s.V1Deployment = {
    metadata: { name },
    spec: { replicas: opts.replicas ?? 2, selector: { matchLabels: labels }, template: { metadata: { labels }, spec: { containers: [container] } } },
  };
  return c.apps.createNamespacedDeployment({ namespace: NS, body });
}

async function readyPods(selector: string, n: number): Promise<k8s.V1Pod[]> {
  return waitFor(`${n} ready pods ${selector}`, async () => {
    const list = await c.core.listNamespacedPod({ namespace: NS, labelSelector: selector });
    return list.items.length === n && list.items.every(isReady) ? list.items : undefined;
  });
}

async function service(name: string, selector: Record<string, string>): Promise<{ svc: k8s.V1Service; port: number }> {
  const svc = await c.core.createNamespacedService({ namespace: NS, body: { metadata: { name }, spec: { selector, ports: [{ port: 80, targetPort: 8080 }] } } });
  const port = svc.status?.loadBalancer?.ingress?.[0]?.ports?.[0]?.port ?? 0;
  return { svc, port };
}

async function endpointsReady(name: string, n: number): Promise<void> {
  await waitFor(`${n} ready endpoints of ${name}`, async () => {
    const ep = await c.core.readNamespacedEndpoints({ name, namespace: NS });
    return (ep.subsets ?? []).reduce((sum, s) => sum + (s.addresses?.length ?? 0), 0) === n;
  });
}

describe("kube-proxy", () => {
  it("gives a Service a loopback address in the created object, keeps it across writes, frees it on delete", async () => {
    const { svc, port } = await service("addr", { app: "addr" });
    expect(port).toBeGreaterThan(0);
    expect(svc.metadata?.annotations?.[ADDRESS]).toBe(`127.0.0.1:${port}`);
    expect(svc.status?.loadBalancer?.ingress).toEqual([{ ip: "127.0.0.1", ports: [{ port, protocol: "TCP" }] }]);
    const current = await c.core.readNamespacedService({ name: "addr", namespace: NS });
    const replaced = await c.core.replaceNamespacedService({
      name: "addr",
      namespace: NS,
      body: { metadata: { name: "addr", resourceVersion: current.metadata?.resourceVersion, labels: { x: "y" } }, spec: { ...current.spec, selector: { app: "other" } } },
    });
    expect(replaced.metadata?.annotations?.[ADDRESS]).toBe(`127.0.0.1:${port}`);
    expect(replaced.status?.loadBalancer?.ingress?.[0]?.ports?.[0]?.port).toBe(port);
    const statusPatched = await c.core.patchNamespacedServiceStatus({ name: "addr", namespace: NS, body: { status: { loadBalancer: { ingress: [{ ip: "10.0.0.9" }] } } } }, merge);
    expect(statusPatched.status?.loadBalancer?.ingress?.[0]?.ip).toBe("127.0.0.1");
    await c.core.deleteNamespacedService({ name: "addr", namespace: NS });
    await expect(get(port, "/")).rejects.toMatchObject({ code: "ECONNREFUSED" });
  });

  it("sends requests only to Ready pods, round-robin per connection", async () => {
    await deploy("shop-ready", { app: "shop", kind: "ready" });
    await deploy("shop-unready", { app: "shop", kind: "unready" }, { replicas: 1, env: { DEMO_NEVER_READY: "true" } });
    const ready = await readyPods("app=shop,kind=ready", 2);
    const { port } = await service("shop", { app: "shop" });
    await endpointsReady("shop", 2);
    const ep = await c.core.readNamespacedEndpoints({ name: "shop", namespace: NS });
    expect(ep.subsets?.flatMap((s) => s.notReadyAddresses ?? [])).toHaveLength(1);
    const pods: string[] = [];
    for (let i = 0; i < 40; i++) pods.push((JSON.parse((await get(port, "/who")).body) as { pod: string }).pod);
    const names = ready.map((p) => p.metadata?.name ?? "").sort();
    expect([...new Set(pods)].sort()).toEqual(names);
    expect(pods.filter((p) => p === names[0])).toHaveLength(20);
  });

  it("resets connections of a Service without ready endpoints", async () => {
    const { port } = await service("empty", { app: "nobody" });
    await expect(get(port, "/")).rejects.toMatchObject({ code: expect.stringMatching(/ECONNRESET|ECONNREFUSED/) });
  });

  it("DEMO_ERROR_RATE answers about that share of requests with 500", async () => {
    await deploy("flaky", { app: "flaky" }, { env: { DEMO_ERROR_RATE: "0.25" } });
    await readyPods("app=flaky", 2);
    const { port } = await service("flaky", { app: "flaky" });
    await endpointsReady("flaky", 2);
    const statuses: number[] = [];
    for (let i = 0; i < 120; i++) statuses.push((await get(port, "/buy")).status);
    const errors = statuses.filter((s) => s === 500).length;
    expect(errors).toBeGreaterThanOrEqual(24);
    expect(errors).toBeLessThanOrEqual(36);
    expect(statuses.filter((s) => s !== 500 && s !== 200)).toEqual([]);
  });

  it("follows hand-written Endpoints of a Service without selector, skipping an endpoint that refuses", async () => {
    await deploy("solo", { app: "solo" }, { replicas: 1 });
    const [solo] = await readyPods("app=solo", 1);
    const dead = await freePort();
    const svc = await c.core.createNamespacedService({ namespace: NS, body: { metadata: { name: "manual" }, spec: { ports: [{ port: 80 }] } } });
    const port = svc.status?.loadBalancer?.ingress?.[0]?.ports?.[0]?.port ?? 0;
    await c.core.createNamespacedEndpoints({
      namespace: NS,
      body: {
        metadata: { name: "manual" },
        subsets: [
          { addresses: [{ ip: "127.0.0.1" }], ports: [{ port: dead }] },
          { addresses: [{ ip: solo?.status?.podIP ?? "" }], ports: [{ port: 8080 }] },
        ],
      },
    });
    await waitFor("the proxy follows the Endpoints", () => get(port, "/").then((r) => r.status === 200, () => false));
    for (let i = 0; i < 10; i++) {
      const r = await get(port, "/x");
      expect(JSON.parse(r.body)).toMatchObject({ pod: solo?.metadata?.name });
    }
  });
});

/** A loopback port nobody listens on. */
function freePort(): Promise<number> {
  return new Promise((resolve) => {
    const s = createServer();
    s.listen(0, "127.0.0.1", () => {
      const port = (s.address() as { port: number }).port;
      s.close(() => resolve(port));
    });
  });
}
