/**
 * Pod logs (`GET …/pods/<name>/log`) as kubectl reads them: what the demo app writes, the
 * PodLogOptions (tailLines, timestamps, sinceTime, limitBytes, follow), and the refusals in the
 * real server's words. On a real API server (BATON_TEST_KUBECONFIG, with kube-sim's node joined)
 * the same requests go through the API server to the node's kubelet endpoint.
 */
import { request } from "node:http";
import { get as httpsGet } from "node:https";
import type * as k8s from "@kubernetes/client-node";
import { startNode } from "@baton/kube-sim";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { isReady, waitFor } from "./support.js";
import { ON_REAL, openTarget, raw, rawStream, simOnly, type Target } from "./target.js";

let t: Target;
let ns: string;

beforeAll(async () => {
  t = await openTarget({ probeIntervalMs: 20 });
  ns = await t.namespace("logs");
}, 60_000);
afterAll(async () => {
  await t?.close();
});

const IMAGE = "baton.dev/demo-app:1.4.0";

interface Spec {
  image?: string;
  env?: Record<string, string>;
  second?: boolean;
  nodeSelector?: Record<string, string>;
}

function podBody(name: string, s: Spec = {}): k8s.V1Pod {
  const env = Object.entries(s.env ?? {}).map(([n, value]) => ({ name: n, value }));
  const app: k8s.V1Container = { name: "app", image: s.image ?? IMAGE, ports: [{ containerPort: 8080 }], env, readinessProbe: { httpGet: { path: "/healthz", port: 8080 }, periodSeconds: 1 } };
  const sidecar: k8s.V1Container = { name: "sidecar", image: IMAGE, ports: [{ containerPort: 8081 }] };
  return { metadata: { name }, spec: { terminationGracePeriodSeconds: 5, containers: s.second ? [app, sidecar] : [app], ...(s.nodeSelector ? { nodeSelector: s.nodeSelector } : {}) } };
}

async function runningPod(name: string, s: Spec = {}): Promise<k8s.V1Pod> {
  await t.core.createNamespacedPod({ namespace: ns, body: podBody(name, s) });
  return waitFor(`pod ${name} ready`, async () => {
    const p = await t.core.readNamespacedPod({ name, namespace: ns });
    return isReady(p) ? p : undefined;
  }, 30_000);
}

function logPath(name: string, query = ""): string {
  return `/api/v1/namespaces/${ns}/pods/${name}/log${query ? `?${query}` : ""}`;
}

async function logText(name: string, query = ""): Promise<string> {
  const answer = await raw(t, "GET", logPath(name, query));
  expect(answer.status, answer.body.toString()).toBe(200);
  return answer.body.toString("utf8");
}

async function refusal(name: string, query = ""): Promise<{ code: number; reason: string; message: string }> {
  const answer = await raw(t, "GET", logPath(name, query));
  const status = JSON.parse(answer.body.toString("utf8")) as { code: number; reason: string; message: string };
  return { code: answer.status, reason: status.reason, message: status.message };
}

function get(ip: string, path: string): Promise<number> {
  return new Promise((resolve, reject) => {
    const req = request({ host: ip, port: 8080, path, agent: false }, (res) => {
      res.resume();
      resolve(res.statusCode ?? 0);
    });
    req.on("error", reject);
    req.end();
  });
}

describe("pod logs", () => {
  it("holds what the demo app wrote: its start, readiness and the requests it served", async () => {
    const pod = await runningPod("talker", { env: { DEMO_START_DELAY_MS: "50", DEMO_ERROR_RATE: "0.5" } });
    const ip = pod.status?.podIP ?? "";
    for (let i = 0; i < 4; i++) await get(ip, "/orders");
    const text = await waitFor("four requests logged", async () => {
      const s = await logText("talker");
      return s.split("\n").filter((l) => l.startsWith("GET /orders")).length === 4 ? s : undefined;
    });
    const lines = text.trimEnd().split("\n");
    expect(lines[0]).toBe(`demo-app 1.4.0 listening on ${ip}:8080 (pod talker)`);
    expect(lines).toContain("DEMO_ERROR_RATE=0.5: 50% of requests will be answered 500");
    expect(lines).toContain("starting: ready in 50 ms (DEMO_START_DELAY_MS); /healthz answers 503 until then");
    expect(lines).toContain("ready: /healthz answers 200");
    expect(lines.filter((l) => l.startsWith("GET /orders")).map((l) => l.split(" ")[2])).toEqual(["200", "500", "200", "500"]);
  });

  it("answers tailLines, timestamps, sinceTime and limitBytes as a kubelet does", async () => {
    await runningPod("options");
    const all = (await logText("options")).trimEnd().split("\n");
    expect(all.length).toBeGreaterThanOrEqual(2);
    expect(await logText("options", "tailLines=1")).toBe(`${all.at(-1)}\n`);
    expect(await logText("options", "tailLines=0")).toBe("");
    const stamped = (await logText("options", "timestamps=true")).trimEnd().split("\n");
    expect(stamped.map((l) => l.replace(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d{1,9})?Z /, ""))).toEqual(all);
    expect(await logText("options", `sinceTime=${encodeURIComponent(new Date(Date.now() + 3_600_000).toISOString())}`)).toBe("");
    expect(await logText("options", "sinceSeconds=3600")).toBe(`${all.join("\n")}\n`);
    expect(await logText("options", "limitBytes=8")).toBe(all.join("\n").slice(0, 8));
  });

  it("follows the log until the container ends (SIGTERM, drain, exit)", async () => {
    await runningPod("followed", { env: { DEMO_DRAIN_MS: "200" } });
    const stream = await rawStream(t, logPath("followed", "follow=true"));
    expect(stream.status).toBe(200);
    expect(stream.contentType).toMatch(/^text\/plain/);
    await waitFor("the start line", () => stream.received().toString().includes("listening on"));
    await t.core.deleteNamespacedPod({ name: "followed", namespace: ns });
    await stream.ended;
    const lines = stream.received().toString("utf8").trimEnd().split("\n");
    expect(lines.slice(-3)).toEqual([
      "received SIGTERM: no new connections; draining 0 open connection(s) for up to 200 ms (DEMO_DRAIN_MS)",
      "drained: no connection left",
      "exiting with code 0 after serving 0 request(s)",
    ]);
  });

  it("refuses in the real server's words", async () => {
    await runningPod("pair", { second: true });
    expect(await refusal("nowhere")).toEqual({ code: 404, reason: "NotFound", message: 'pods "nowhere" not found' });
    expect(await refusal("pair")).toEqual({ code: 400, reason: "BadRequest", message: "a container name must be specified for pod pair, choose one of: [app sidecar]" });
    expect(await refusal("pair", "container=db")).toEqual({ code: 400, reason: "BadRequest", message: "container db is not valid for pod pair" });
    expect(await refusal("pair", "container=app&previous=true")).toEqual({ code: 400, reason: "BadRequest", message: 'previous terminated container "app" in pod "pair" not found' });
    expect(await refusal("pair", "container=app&tailLines=-1")).toEqual({ code: 422, reason: "Invalid", message: 'PodLogOptions "pair" is invalid: tailLines: Invalid value: -1: must be greater than or equal to 0' });
    expect(await refusal("pair", "container=app&sinceSeconds=0")).toEqual({ code: 422, reason: "Invalid", message: 'PodLogOptions "pair" is invalid: sinceSeconds: Invalid value: 0: must be greater than 0' });
    expect(await logText("pair", "container=sidecar")).toMatch(/^demo-app 1\.4\.0 listening on [\d.]+:8081 \(pod pair\)\n/);
  });

  it("says why a container that cannot start has no log", async () => {
    await t.core.createNamespacedPod({ namespace: ns, body: podBody("unpullable", { image: "registry.example.com/shop/web:2.0.0" }) });
    const answer = await waitFor("the pull failure", async () => {
      const r = await refusal("unpullable");
      return r.message.includes("pull") ? r : undefined;
    });
    expect(answer.code).toBe(400);
    expect(answer.message).toMatch(/^container "app" in pod "unpullable" is waiting to start: (image can't be pulled|trying and failing to pull image)$/);
  });

  it("answers 204 No Content for a pod no node took yet", async () => {
    await t.core.createNamespacedPod({ namespace: ns, body: podBody("homeless", { nodeSelector: { "baton.dev/test": "no-such-node" } }) });
    const answer = await raw(t, "GET", logPath("homeless"));
    expect({ status: answer.status, body: answer.body.toString() }).toEqual({ status: 204, body: "" });
  });
});

function kubeletGet(port: number, path: string): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    httpsGet({ host: "127.0.0.1", port, path, rejectUnauthorized: false }, (res) => {
      let body = "";
      res.on("data", (d: Buffer) => (body += d.toString()));
      res.on("end", () => resolve({ status: res.statusCode ?? 0, body }));
    }).on("error", reject);
  });
}

describe.skipIf(ON_REAL)(`the kubelet endpoint${simOnly("joins a second kube-sim node to kube-sim's own server")}`, () => {
  it("is published in the Node's status, serves /containerLogs over HTTPS, and the API server reads a pod on that node through it", async () => {
    const node = await startNode({ kubeconfig: t.sim?.kubeconfig() ?? "", nodeName: "second", probeIntervalMs: 20 });
    try {
      const n = await t.core.readNode({ name: "second" });
      expect(n.status?.daemonEndpoints?.kubeletEndpoint?.Port).toBe(node.kubeletPort);
      expect(n.status?.addresses).toContainEqual({ type: "InternalIP", address: "127.0.0.1" });
      const body = podBody("elsewhere");
      body.spec = { ...body.spec, nodeName: "second", containers: body.spec?.containers ?? [] };
      await t.core.createNamespacedPod({ namespace: ns, body });
      await waitFor("pod elsewhere ready", async () => isReady(await t.core.readNamespacedPod({ name: "elsewhere", namespace: ns })));
      const direct = await kubeletGet(node.kubeletPort, `/containerLogs/${ns}/elsewhere/app?tailLines=1`);
      expect(direct).toEqual({ status: 200, body: "ready: /healthz answers 200\n" });
      expect(await kubeletGet(node.kubeletPort, `/containerLogs/${ns}/elsewhere/app?previous=true`)).toEqual({ status: 400, body: 'previous terminated container "app" in pod "elsewhere" not found' });
      expect(await kubeletGet(node.kubeletPort, `/containerLogs/${ns}/nobody/app`)).toEqual({ status: 404, body: 'pod "nobody" does not exist' });
      expect(await logText("elsewhere", "tailLines=1")).toBe("ready: /healthz answers 200\n");
      expect(await refusal("elsewhere", "previous=true")).toEqual({ code: 400, reason: "BadRequest", message: 'previous terminated container "app" in pod "elsewhere" not found' });
      await t.core.deleteNamespacedPod({ name: "elsewhere", namespace: ns, gracePeriodSeconds: 0 });
    } finally {
      await node.close();
    }
  });
});
