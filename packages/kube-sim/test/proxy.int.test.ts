/** The kube-proxy: every Service gets a loopback address that balances over its ready endpoints (EndpointSlices). */
import { Agent, request } from "node:http";
import { createServer } from "node:net";
import type * as k8s from "@kubernetes/client-node";
import { serviceUrl } from "@baton/runtime";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { ADDRESS, failure, isReady, merge, publishedPort, startSim, waitFor, type SimClients } from "./support.js";

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
  return { svc, port: await publishedPort(c, name) };
}

async function endpointsReady(name: string, n: number): Promise<void> {
  await waitFor(`${n} ready endpoints of ${name}`, async () => {
    const ep = await c.core.readNamespacedEndpoints({ name, namespace: NS });
    return (ep.subsets ?? []).reduce((sum, s) => sum + (s.addresses?.length ?? 0), 0) === n;
  });
}

/** Waits until the proxy sends new connections to `n` different pods (it follows the API a moment later). */
async function proxyReaches(port: number, n: number): Promise<void> {
  await waitFor(`the proxy on :${port} reaching ${n} pods`, async () => {
    const seen = new Set<string>();
    for (let i = 0; i < 2 * n; i++) seen.add((JSON.parse((await get(port, "/who")).body) as { pod: string }).pod);
    return seen.size === n;
  });
}

describe("kube-proxy", () => {
  it("publishes a Service's loopback address on it, puts it back when a write drops it, frees it on delete", async () => {
    const { port } = await service("addr", { app: "addr" });
    expect(port).toBeGreaterThan(0);
    const published = await c.core.readNamespacedService({ name: "addr", namespace: NS });
    expect(published.metadata?.annotations?.[ADDRESS]).toBe(`127.0.0.1:${port}`);
    expect(published.status?.loadBalancer?.ingress).toBeUndefined();
    // where Baton's BATON_SERVICE_ADDRESS=load-balancer looks
    expect(await serviceUrl(c.core, { BATON_SERVICE_ADDRESS: "load-balancer", BATON_CLUSTER_DOMAIN: "cluster.local" }, NS, "addr")).toBe(`http://127.0.0.1:${port}`);
    await c.core.replaceNamespacedService({
      name: "addr",
      namespace: NS,
      body: { metadata: { name: "addr", resourceVersion: published.metadata?.resourceVersion, labels: { x: "y" } }, spec: { ...published.spec, selector: { app: "other" } } },
    });
    expect(await publishedPort(c, "addr")).toBe(port);
    await c.core.deleteNamespacedService({ name: "addr", namespace: NS });
    await waitFor("the port closed", () => get(port, "/").then(() => false, (e: NodeJS.ErrnoException) => e.code === "ECONNREFUSED"));
  });

  it("writes the address into status.loadBalancer of a LoadBalancer Service only: the API refuses it on a ClusterIP one", async () => {
    await c.core.createNamespacedService({ namespace: NS, body: { metadata: { name: "lb" }, spec: { type: "LoadBalancer", selector: { app: "lb" }, ports: [{ port: 80, targetPort: 8080 }] } } });
    const port = await publishedPort(c, "lb");
    const lb = await waitFor("the LoadBalancer status", async () => {
      const svc = await c.core.readNamespacedService({ name: "lb", namespace: NS });
      return svc.status?.loadBalancer?.ingress?.length ? svc : undefined;
    });
    expect(lb.status?.loadBalancer?.ingress).toEqual([{ ip: "127.0.0.1", ipMode: "VIP", ports: [{ port, protocol: "TCP" }] }]);
    await c.core.createNamespacedService({ namespace: NS, body: { metadata: { name: "plain" }, spec: { selector: { app: "plain" }, ports: [{ port: 80 }] } } });
    const refused = await failure(c.core.patchNamespacedServiceStatus({ name: "plain", namespace: NS, body: { status: { loadBalancer: { ingress: [{ ip: "10.0.0.9" }] } } } }, merge));
    expect(refused).toMatchObject({ code: 422, reason: "Invalid" });
    expect(refused.message).toContain("status.loadBalancer.ingress: Forbidden: may only be used when `spec.type` is 'LoadBalancer'");
  });

  it("sends requests only to Ready pods, round-robin per connection", async () => {
    await deploy("shop-ready", { app: "shop", kind: "ready" });
    await deploy("shop-unready", { app: "shop", kind: "unready" }, { replicas: 1, env: { DEMO_NEVER_READY: "true" } });
    const ready = await readyPods("app=shop,kind=ready", 2);
    const { port } = await service("shop", { app: "shop" });
    await endpointsReady("shop", 2);
    const ep = await c.core.readNamespacedEndpoints({ name: "shop", namespace: NS });
    expect(ep.subsets?.flatMap((s) => s.notReadyAddresses ?? [])).toHaveLength(1);
    await proxyReaches(port, 2);
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
    await waitFor("the proxy answering", () => get(port, "/healthz").then((r) => r.status === 200, () => false));
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
    await c.core.createNamespacedService({ namespace: NS, body: { metadata: { name: "manual" }, spec: { ports: [{ port: 80 }] } } });
    const port = await publishedPort(c, "manual");
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
