/**
 * `baton sim --node`: a kube-sim node as its own process, joining the cluster a kubeconfig names
 * (here kube-sim's own API server), running the pods bound to it, and leaving cleanly on SIGTERM.
 */
import { spawn, type ChildProcess } from "node:child_process";
import { request } from "node:http";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import * as k8s from "@kubernetes/client-node";
import { startKubeSim, type KubeSim } from "@baton/kube-sim";
import { waitFor } from "@baton/runtime/testing";
import { afterAll, beforeAll, describe, expect, it } from "vitest";

const ROOT = resolve(import.meta.dirname, "../..");
const CLI = join(ROOT, "packages/cli/src/main.ts");

let sim: KubeSim;
let core: k8s.CoreV1Api;
let dir: string;
let kubeconfig: string;
const children: ChildProcess[] = [];

beforeAll(async () => {
  sim = await startKubeSim({ probeIntervalMs: 50 });
  dir = await mkdtemp(join(tmpdir(), "baton-sim-node-"));
  kubeconfig = join(dir, "kubeconfig");
  await sim.writeKubeconfig(kubeconfig);
  const kc = new k8s.KubeConfig();
  kc.loadFromString(sim.kubeconfig());
  core = kc.makeApiClient(k8s.CoreV1Api);
});
afterAll(async () => {
  for (const child of children) if (child.exitCode === null && child.pid) killGroup(child.pid, "SIGKILL");
  await sim?.close();
  if (dir) await rm(dir, { recursive: true, force: true });
});

function killGroup(pid: number, signal: NodeJS.Signals): void {
  try {
    process.kill(-pid, signal);
  } catch {
    // already gone
  }
}

/** Is any process of the group `pid` still alive? */
function groupAlive(pid: number): boolean {
  try {
    process.kill(-pid, 0);
    return true;
  } catch {
    return false;
  }
}

/** `baton …` as its own process group (node itself, no wrapper), its output collected. */
function baton(args: string[]): { child: ChildProcess; out: () => string; exit: Promise<number | null> } {
  const child = spawn(process.execPath, ["--conditions=source", "--import", "tsx", CLI, ...args], { cwd: ROOT, detached: true, stdio: ["ignore", "pipe", "pipe"], env: { ...process.env, NO_COLOR: "1" } });
  children.push(child);
  let out = "";
  child.stdout?.on("data", (c: Buffer) => (out += c.toString()));
  child.stderr?.on("data", (c: Buffer) => (out += c.toString()));
  const exit = new Promise<number | null>((done) => child.once("exit", (code) => done(code)));
  return { child, out: () => out, exit };
}

function version(ip: string): Promise<string> {
  return new Promise((done, fail) => {
    const req = request({ host: ip, port: 8080, path: "/version", agent: false }, (res) => {
      let body = "";
      res.on("data", (c: Buffer) => (body += c.toString()));
      res.on("end", () => done(body));
    });
    req.on("error", fail);
    req.end();
  });
}

describe("baton sim --node", () => {
  it("joins the cluster, runs the pods bound to it, and on SIGTERM shuts down gracefully (NotReady, pods Failed) and exits 0 leaving no process", async () => {
    // Given a node process joined to the cluster
    // (loopback addresses: no root networking needed; scripts/k8s joins a real cluster with the defaults)
    const node = baton(["sim", "--node", "--kubeconfig", kubeconfig, "--node-name", "cli-node", "--pod-cidr", "127.1.0.0/16", "--service-proxy", "loopback"]);
    await waitFor("the node joined", () => node.out().includes("kube-sim node cli-node joined the cluster of"), 30_000);
    const joined = await core.readNode({ name: "cli-node" });
    expect(joined.status?.conditions?.find((c) => c.type === "Ready")?.status).toBe("True");

    // When a pod is bound to it, it runs there
    const container = { name: "app", image: "baton.dev/demo-app:7.0.0", ports: [{ containerPort: 8080 }], readinessProbe: { httpGet: { path: "/healthz", port: 8080 }, periodSeconds: 1 } };
    await core.createNamespacedPod({ namespace: "default", body: { metadata: { name: "on-cli-node" }, spec: { nodeName: "cli-node", containers: [container] } } });
    const pod = await waitFor("the pod Ready", async () => {
      const p = await core.readNamespacedPod({ name: "on-cli-node", namespace: "default" });
      return p.status?.conditions?.some((c) => c.type === "Ready" && c.status === "True") ? p : undefined;
    });
    const ip = pod.status?.podIP ?? "";
    expect(await version(ip)).toBe("7.0.0");

    // When it gets SIGTERM
    killGroup(node.child.pid ?? 0, "SIGTERM");

    // Then it exits 0, its pod no longer serves and is Failed (a graceful node shutdown), the Node says why, and nothing of it is left
    expect(await node.exit).toBe(0);
    await expect(version(ip)).rejects.toMatchObject({ code: "ECONNREFUSED" });
    const ended = await core.readNamespacedPod({ name: "on-cli-node", namespace: "default" });
    expect(ended.status).toMatchObject({ phase: "Failed", reason: "Terminated", message: "Pod was terminated in response to imminent node shutdown." });
    expect(ended.status?.conditions?.find((c) => c.type === "DisruptionTarget")).toMatchObject({ status: "True", reason: "TerminationByKubelet" });
    expect(ended.status?.conditions?.find((c) => c.type === "Ready")?.status).toBe("False");
    const ready = (await core.readNode({ name: "cli-node" })).status?.conditions?.find((c) => c.type === "Ready");
    expect(ready).toMatchObject({ status: "False", reason: "KubeletNotReady", message: "node is shutting down" });
    expect(groupAlive(node.child.pid ?? 0)).toBe(false);
  });

  it("refuses --node without a kubeconfig to join, naming what is missing", async () => {
    const run = baton(["sim", "--node"]);
    expect(await run.exit).toBe(2);
    expect(run.out()).toContain("baton sim --node needs --kubeconfig PATH");
  });
});
