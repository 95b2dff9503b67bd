/**
 * The property Baton's promise rests on: under a continuous keep-alive load through a Service, a
 * selector switch from v1 to v2 and the graceful end of v1 lose no request.
 */
import { Agent, request } from "node:http";
import type * as k8s from "@kubernetes/client-node";
import { afterAll, beforeAll, expect, it } from "vitest";
import { isReady, merge, publishedPort, startSim, waitFor, type SimClients } from "./support.js";

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

function get(port: number, agent: Agent): Promise<Answer> {
  return new Promise((resolve, reject) => {
    const req = request({ host: "127.0.0.1", port, path: "/version", agent }, (res) => {
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

/** One request on a new connection (where the proxy sends a new connection now). */
async function fresh(port: number): Promise<Answer> {
  const agent = new Agent({ keepAlive: false });
  try {
    return await get(port, agent);
  } finally {
    agent.destroy();
  }
}

interface Result {
  version?: string;
  failure?: string;
  /** Sent on a connection opened after the switch had been answered. */
  newConnection: boolean;
}

/** Workers that each send requests back to back over one keep-alive connection, opening a new one every 10 requests. */
class Load {
  readonly results: Result[] = [];
  switched = false;
  #stopped = false;
  readonly #workers: Promise<void>[];

  constructor(port: number, workers: number) {
    this.#workers = Array.from({ length: workers }, () => this.#run(port));
  }

  async #run(port: number): Promise<void> {
    while (!this.#stopped) {
      const agent = new Agent({ keepAlive: true, maxSockets: 1 });
      const newConnection = this.switched;
      for (let i = 0; i < 10 && !this.#stopped; i++) {
        try {
          const r = await get(port, agent);
          this.results.push(r.status === 200 ? { version: r.body, newConnection } : { failure: `HTTP ${r.status}`, newConnection });
        } catch (err) {
          this.results.push({ failure: String(err), newConnection });
        }
      }
      agent.destroy();
    }
  }

  async stop(): Promise<void> {
    this.#stopped = true;
    await Promise.all(this.#workers);
  }
}

function deploy(rev: string, version: string): Promise<k8s.V1Deployment> {
  const labels = { app: "web", rev };
  const container: k8s.V1Container = {
    name: "app",
    image: `baton.dev/demo-app:${version}`,
    ports: [{ containerPort: 8080 }],
    env: [{ name: "DEMO_DRAIN_MS", value: "1500" }],
    readinessProbe: { httpGet: { path: "/healthz", port: 8080 }, periodSeconds: 1 },
  };
  return c.apps.createNamespacedDeployment({
    namespace: NS,
    body: { metadata: { name: `web-${rev}` }, spec: { replicas: 2, selector: { matchLabels: labels }, template: { metadata: { labels }, spec: { containers: [container] } } } },
  });
}

async function pods(selector: string): Promise<k8s.V1Pod[]> {
  return (await c.core.listNamespacedPod({ namespace: NS, labelSelector: selector })).items;
}

it("switching the selector under keep-alive load, then ending v1 gracefully, fails no request", async () => {
  // Given v1 and v2 running, and the Service on v1
  await deploy("1", "1.0.0");
  await deploy("2", "2.0.0");
  await waitFor("4 ready pods", async () => (await pods("app=web")).filter(isReady).length === 4);
  await c.core.createNamespacedService({ namespace: NS, body: { metadata: { name: "web" }, spec: { selector: { app: "web", rev: "1" }, ports: [{ port: 80, targetPort: 8080 }] } } });
  const port = await publishedPort(c, "web");
  await waitFor("the proxy on v1", () => fresh(port).then((r) => r.body === "1.0.0", () => false));
  const pinned = new Agent({ keepAlive: true, maxSockets: 1 });
  const first = await get(port, pinned);
  expect(first.body).toBe("1.0.0");
  const load = new Load(port, 4);
  await waitFor("150 requests on v1", () => load.results.length >= 150);

  // When the selector moves to v2 (and the proxy has followed: it watches the API, so a moment later)
  await c.core.patchNamespacedService({ name: "web", namespace: NS, body: { spec: { selector: { app: "web", rev: "2" } } } }, merge);
  await waitFor("the proxy on v2", async () => (await fresh(port)).body === "2.0.0" && (await fresh(port)).body === "2.0.0");
  load.switched = true;
  const onOldConnection = await get(port, pinned);
  await waitFor("150 requests on new connections", () => load.results.filter((r) => r.newConnection).length >= 150);

  // And v1 is scaled to 0 (SIGTERM, drain) while the load goes on
  await c.apps.patchNamespacedDeployment({ name: "web-1", namespace: NS, body: { spec: { replicas: 0 } } }, merge);
  await waitFor("v1 pods gone", async () => (await pods("app=web,rev=1")).length === 0);
  const afterV1 = await get(port, pinned);
  const total = load.results.length;
  await waitFor("100 more requests", () => load.results.length >= total + 100);
  await load.stop();
  pinned.destroy();

  // Then no request failed, new connections went to v2 only, an old connection stayed on v1 until v1 ended
  const results = load.results;
  expect(results.filter((r) => r.failure)).toEqual([]);
  expect(results.length).toBeGreaterThanOrEqual(400);
  expect(results.filter((r) => r.newConnection && r.version !== "2.0.0")).toEqual([]);
  expect(results.slice(0, 150).every((r) => r.version === "1.0.0")).toBe(true);
  expect(results.slice(-100).every((r) => r.version === "2.0.0")).toBe(true);
  expect(onOldConnection).toMatchObject({ body: "1.0.0", localPort: first.localPort });
  expect(afterV1.body).toBe("2.0.0");
});
