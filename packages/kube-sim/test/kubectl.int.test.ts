// The real kubectl against kube-sim with its default flags: get, describe, apply twice (the second
// a strategic merge patch), scale, wait, get -w, delete. Skipped, with the reason in the test
// name, only when no kubectl is on PATH (Debian's kubernetes-client package provides one).
import { execFile, spawn } from "node:child_process";
import { accessSync, constants } from "node:fs";
import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { isReady, startSim, waitFor, type SimClients } from "./support.js";

function onPath(cmd: string): boolean {
  return (process.env.PATH ?? "").split(":").some((dir) => {
    try {
      accessSync(join(dir, cmd), constants.X_OK);
      return true;
    } catch {
      return false;
    }
  });
}

const HAVE_KUBECTL = onPath("kubectl");
const title = HAVE_KUBECTL ? "kubectl" : "kubectl (SKIPPED: no kubectl on PATH; apt-get install kubernetes-client)";

let c: SimClients;
let dir: string;
let env: NodeJS.ProcessEnv;

interface Run {
  code: number;
  stdout: string;
  stderr: string;
}

function kubectl(...args: string[]): Promise<Run> {
  return new Promise((resolve) => {
    execFile("kubectl", args, { env, timeout: 30_000 }, (err, stdout, stderr) => {
      const code = err ? (typeof (err as { code?: unknown }).code === "number" ? ((err as { code: number }).code) : 1) : 0;
      resolve({ code, stdout, stderr });
    });
  });
}

function manifest(latency: string, replicas = 2): string {
  return `apiVersion: apps/v1
kind: Deployment
metadata:
  name: web
spec:
  replicas: ${replicas}
  selector:
    matchLabels: {app: web}
  template:
    metadata:
      labels: {app: web}
    spec:
      containers:
      - name: app
        image: baton.dev/demo-app:1.0.0
        ports: [{containerPort: 8080, name: http}]
        env: [{name: DEMO_LATENCY_MS, value: "${latency}"}]
`;
}

describe.skipIf(!HAVE_KUBECTL)(title, () => {
  beforeAll(async () => {
    c = await startSim({ probeIntervalMs: 20 });
    dir = await mkdtemp(join(tmpdir(), "kube-sim-kubectl-"));
    await c.sim.writeKubeconfig(join(dir, "kubeconfig"));
    env = { ...process.env, KUBECONFIG: join(dir, "kubeconfig"), HOME: dir };
  });
  afterAll(async () => {
    await c?.sim.close();
    if (dir) await rm(dir, { recursive: true, force: true });
  });

  const clientWrites = () => c.sim.audit().filter((a) => a.user !== "system:kube-sim");

  it("apply creates, and a second apply of a changed file sends a strategic merge patch", async () => {
    const file = join(dir, "web.yaml");
    await writeFile(file, manifest("1"));
    const first = await kubectl("apply", "-f", file);
    expect(first).toMatchObject({ code: 0, stdout: "deployment.apps/web created\n" });
    const created = await c.apps.readNamespacedDeployment({ name: "web", namespace: "default" });
    expect(created.metadata?.annotations?.["kubectl.kubernetes.io/last-applied-configuration"]).toContain('"DEMO_LATENCY_MS"');
    await writeFile(file, manifest("7"));
    const second = await kubectl("apply", "-f", file);
    expect(second).toMatchObject({ code: 0, stdout: "deployment.apps/web configured\n" });
    const patch = clientWrites().filter((a) => a.verb === "patch" && a.resource === "deployments");
    expect(patch.map((a) => [a.patchType, a.code])).toEqual([["application/strategic-merge-patch+json", 200]]);
    const d = await c.apps.readNamespacedDeployment({ name: "web", namespace: "default" });
    const container = d.spec?.template.spec?.containers[0];
    expect(container?.env).toEqual([{ name: "DEMO_LATENCY_MS", value: "7" }]);
    expect(container?.ports).toEqual([{ containerPort: 8080, name: "http", protocol: "TCP" }]);
    const unchanged = await kubectl("apply", "-f", file);
    expect(unchanged.stdout).toBe("deployment.apps/web unchanged\n");
  });

  it("get lists by label and reports NotFound like a real server", async () => {
    await waitFor("two ready pods", async () => (await c.core.listNamespacedPod({ namespace: "default", labelSelector: "app=web" })).items.filter(isReady).length === 2);
    const names = await kubectl("get", "pods", "-l", "app=web", "-o", "name");
    expect(names.code).toBe(0);
    expect(names.stdout.trim().split("\n")).toHaveLength(2);
    const json = await kubectl("get", "deployment", "web", "-o", "json");
    expect(JSON.parse(json.stdout)).toMatchObject({ kind: "Deployment", metadata: { name: "web" }, spec: { replicas: 2 } });
    const table = await kubectl("get", "pods", "-l", "app=web");
    const [header, ...rows] = table.stdout.trim().split("\n");
    expect(header?.split(/\s+/)).toEqual(["NAME", "READY", "STATUS", "RESTARTS", "AGE"]);
    expect(rows.map((r) => r.split(/\s+/).slice(1, 4))).toEqual([
      ["1/1", "Running", "0"],
      ["1/1", "Running", "0"],
    ]);
    const deploy = await kubectl("get", "deployment", "web");
    expect(deploy.stdout.split("\n")[1]?.split(/\s+/).slice(0, 4)).toEqual(["web", "2/2", "2", "2"]);
    const all = await kubectl("get", "deployments", "-A");
    expect(all.stdout.split("\n")[1]?.split(/\s+/).slice(0, 2)).toEqual(["default", "web"]);
    const missing = await kubectl("get", "pod", "zz");
    expect(missing.code).not.toBe(0);
    expect(missing.stderr).toContain('pods "zz" not found');
  });

  it("scale patches the scale subresource and wait sees the new pods Ready", async () => {
    const scaled = await kubectl("scale", "deployment", "web", "--replicas=3");
    expect(scaled).toMatchObject({ code: 0, stdout: "deployment.apps/web scaled\n" });
    expect(clientWrites().some((a) => a.verb === "patch" && a.subresource === "scale" && a.code === 200)).toBe(true);
    await waitFor("three pods", async () => (await c.core.listNamespacedPod({ namespace: "default", labelSelector: "app=web" })).items.length === 3);
    const waited = await kubectl("wait", "--for=condition=Ready", "pod", "-l", "app=web", "--timeout=20s");
    expect(waited.code).toBe(0);
    expect(waited.stdout.trim().split("\n").filter((l) => l.endsWith("condition met"))).toHaveLength(3);
  });

  it("describe shows a pod's node, owner, state and readiness", async () => {
    const pod = (await c.core.listNamespacedPod({ namespace: "default", labelSelector: "app=web" })).items[0];
    const out = await kubectl("describe", "pod", pod?.metadata?.name ?? "");
    expect(out.code).toBe(0);
    expect(out.stdout).toMatch(/Node:\s+kube-sim/);
    expect(out.stdout).toMatch(/Controlled By:\s+ReplicaSet\/web-/);
    expect(out.stdout).toMatch(/Ready:\s+True/);
    expect(out.stdout).toContain(`IP:               ${pod?.status?.podIP}`);
  });

  it("get -w prints objects as they are created", async () => {
    await c.core.createNamespacedConfigMap({ namespace: "default", body: { metadata: { name: "listed-cm" } } });
    const child = spawn("kubectl", ["get", "configmaps", "-w"], { env });
    let out = "";
    child.stdout.on("data", (chunk: Buffer) => (out += chunk.toString()));
    try {
      await waitFor("the listed config map", () => out.includes("listed-cm"));
      await c.core.createNamespacedConfigMap({ namespace: "default", body: { metadata: { name: "watched-cm" } } });
      await waitFor("the new config map in the watch", () => out.includes("watched-cm"));
    } finally {
      child.kill();
    }
  });

  it("delete removes a pod (the ReplicaSet replaces it) and a Deployment with its pods", async () => {
    const pod = (await c.core.listNamespacedPod({ namespace: "default", labelSelector: "app=web" })).items[0]?.metadata?.name ?? "";
    const deleted = await kubectl("delete", "pod", pod);
    expect(deleted).toMatchObject({ code: 0, stdout: `pod "${pod}" deleted\n` });
    const names = (await c.core.listNamespacedPod({ namespace: "default", labelSelector: "app=web" })).items.map((p) => p.metadata?.name);
    expect(names).not.toContain(pod);
    const gone = await kubectl("delete", "deployment", "web");
    expect(gone.code).toBe(0);
    await waitFor("no pods left", async () => (await c.core.listNamespacedPod({ namespace: "default", labelSelector: "app=web" })).items.length === 0);
  });
});
