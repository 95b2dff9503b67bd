// The real kubectl with its default flags: the imperative commands a newcomer types first (they send
// protobuf bodies), apply twice (the second a strategic merge patch), get, scale, get -w, delete; and,
// where kube-sim's node runs the pods, wait and describe. Runs against kube-sim, or a real API server
// with BATON_TEST_KUBECONFIG (see target.ts). Skipped, with the reason in the test name, only when no
// kubectl is on PATH (Debian's kubernetes-client package provides one).
import { execFile, spawn } from "node:child_process";
import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { parse } from "yaml";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { onPath } from "@baton/runtime/testing";
import { isReady, waitFor } from "./support.js";
import { ON_REAL, openTarget, simOnly, type Target } from "./target.js";


const HAVE_KUBECTL = onPath("kubectl");
const title = HAVE_KUBECTL ? "kubectl" : "kubectl (SKIPPED: no kubectl on PATH; apt-get install kubernetes-client)";
const NEEDS_NODE = simOnly("needs kube-sim's node to run the pods");
const AUDIT = simOnly("reads kube-sim's audit");

let c: Target;
let dir: string;
let env: NodeJS.ProcessEnv;
let ns: string;

interface Run {
  code: number;
  stdout: string;
  stderr: string;
}

function kubectl(...args: string[]): Promise<Run> {
  return new Promise((resolve) => {
    execFile("kubectl", args, { env, timeout: 30_000 }, (err, stdout, stderr) => {
      const code = err ? (typeof (err as { code?: unknown }).code === "number" ? (err as { code: number }).code : 1) : 0;
      resolve({ code, stdout, stderr });
    });
  });
}

/** `kubectl get -o yaml` of one object, parsed. */
async function getYaml(...args: string[]): Promise<Record<string, any>> {
  const run = await kubectl("get", ...args, "-n", ns, "-o", "yaml");
  expect(run.stderr).toBe("");
  return parse(run.stdout) as Record<string, any>;
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

const podsOf = async (selector: string) => (await c.core.listNamespacedPod({ namespace: ns, labelSelector: selector })).items;

describe.skipIf(!HAVE_KUBECTL)(title, () => {
  beforeAll(async () => {
    c = await openTarget({ probeIntervalMs: 20 });
    ns = await c.namespace("kubectl");
    dir = await mkdtemp(join(tmpdir(), "kube-sim-kubectl-"));
    env = { ...process.env, KUBECONFIG: c.kubeconfigFile, HOME: dir };
  });
  afterAll(async () => {
    await c?.close();
    if (dir) await rm(dir, { recursive: true, force: true });
  });

  const clientWrites = () => (c.sim?.audit() ?? []).filter((a) => a.user !== "system:kube-sim");

  describe("imperative commands (protobuf request bodies)", () => {
    it("create namespace", async () => {
      const name = `${ns}-made`;
      expect(await kubectl("create", "namespace", name)).toMatchObject({ code: 0, stdout: `namespace/${name} created\n` });
      const got = await kubectl("get", "namespace", name, "-o", "yaml");
      expect(parse(got.stdout)).toMatchObject({ apiVersion: "v1", kind: "Namespace", metadata: { name }, status: { phase: "Active" } });
      expect(await kubectl("delete", "namespace", name, "--wait=false")).toMatchObject({ code: 0 });
    });

    it("create secret generic and create configmap --from-literal", async () => {
      expect(await kubectl("create", "secret", "generic", "db", "--from-literal=password=s3cret", "--from-literal=user=app", "-n", ns)).toMatchObject({ code: 0, stdout: "secret/db created\n" });
      expect(await getYaml("secret", "db")).toMatchObject({ kind: "Secret", type: "Opaque", data: { password: Buffer.from("s3cret").toString("base64"), user: Buffer.from("app").toString("base64") } });
      expect(await kubectl("create", "configmap", "settings", "--from-literal=mode=fast", "--from-literal=empty=", "-n", ns)).toMatchObject({ code: 0, stdout: "configmap/settings created\n" });
      expect((await getYaml("configmap", "settings")).data).toEqual({ mode: "fast", empty: "" });
    });

    it("create deployment, expose deployment, run", async () => {
      const created = await kubectl("create", "deployment", "shop", "--image=baton.dev/demo-app:1.0.0", "--replicas=2", "--port=8080", "-n", ns);
      expect(created).toMatchObject({ code: 0, stdout: "deployment.apps/shop created\n" });
      const d = await getYaml("deployment", "shop");
      expect(d.spec).toMatchObject({ replicas: 2, selector: { matchLabels: { app: "shop" } }, template: { metadata: { labels: { app: "shop" } } } });
      expect(d.spec.template.spec.containers).toMatchObject([{ name: "demo-app", image: "baton.dev/demo-app:1.0.0", ports: [{ containerPort: 8080, protocol: "TCP" }] }]);
      const exposed = await kubectl("expose", "deployment", "shop", "--port=80", "--target-port=8080", "-n", ns);
      expect(exposed).toMatchObject({ code: 0, stdout: "service/shop exposed\n" });
      const svc = await getYaml("service", "shop");
      expect(svc.spec).toMatchObject({ type: "ClusterIP", selector: { app: "shop" }, ports: [{ port: 80, targetPort: 8080, protocol: "TCP" }] });
      expect(svc.spec.clusterIP).toMatch(/^\d+\.\d+\.\d+\.\d+$/);
      const ran = await kubectl("run", "one", "--image=baton.dev/demo-app:1.0.0", "--env=DEMO_VERSION=9", "-n", ns);
      expect(ran).toMatchObject({ code: 0, stdout: "pod/one created\n" });
      const pod = await getYaml("pod", "one");
      expect(pod.metadata.labels).toEqual({ run: "one" });
      expect(pod.spec.containers).toMatchObject([{ name: "one", image: "baton.dev/demo-app:1.0.0", env: [{ name: "DEMO_VERSION", value: "9" }] }]);
    });
  });

  it("get -o wide prints the real server's columns for every built-in kind it lists here", async () => {
    await c.core.createNamespacedEvent({ namespace: ns, body: { metadata: { name: "seen" }, involvedObject: { kind: "Pod", name: "one", namespace: ns }, reason: "Checked", message: "checked by the test ", type: "Normal", firstTimestamp: new Date() } });
    const header = async (...args: string[]) => {
      const out = await kubectl("get", ...args, "-n", ns);
      expect(out.stderr).toBe("");
      return out.stdout.split("\n");
    };
    const columns = (line: string | undefined) => (line ?? "").trim().split(/\s{2,}/);
    const cm = await header("configmap", "settings");
    expect([columns(cm[0]), columns(cm[1]).slice(0, 2)]).toEqual([["NAME", "DATA", "AGE"], ["settings", "2"]]);
    const secret = await header("secret", "db");
    expect([columns(secret[0]), columns(secret[1]).slice(0, 3)]).toEqual([["NAME", "TYPE", "DATA", "AGE"], ["db", "Opaque", "2"]]);
    const svc = await header("service", "shop", "-o", "wide");
    expect([columns(svc[0]), columns(svc[1]).at(-1)]).toEqual([["NAME", "TYPE", "CLUSTER-IP", "EXTERNAL-IP", "PORT(S)", "AGE", "SELECTOR"], "app=shop"]);
    const deploy = await header("deployment", "shop", "-o", "wide");
    expect([columns(deploy[0]), columns(deploy[1]).slice(-3)]).toEqual([["NAME", "READY", "UP-TO-DATE", "AVAILABLE", "AGE", "CONTAINERS", "IMAGES", "SELECTOR"], ["demo-app", "baton.dev/demo-app:1.0.0", "app=shop"]]);
    expect(columns((await header("replicasets", "-l", "app=shop", "-o", "wide"))[0])).toEqual(["NAME", "DESIRED", "CURRENT", "READY", "AGE", "CONTAINERS", "IMAGES", "SELECTOR"]);
    expect(columns((await header("pod", "one", "-o", "wide"))[0])).toEqual(["NAME", "READY", "STATUS", "RESTARTS", "AGE", "IP", "NODE", "NOMINATED NODE", "READINESS GATES"]);
    const events = await header("events", "--field-selector", "reason=Checked");
    expect([columns(events[0]), columns(events[1]).slice(1)]).toEqual([["LAST SEEN", "TYPE", "REASON", "OBJECT", "MESSAGE"], ["Normal", "Checked", "pod/one", "checked by the test"]]);
  });

  it("apply creates, a second apply of a changed file configures it, a third is unchanged", async () => {
    const file = join(dir, "web.yaml");
    await writeFile(file, manifest("1"));
    const first = await kubectl("apply", "-n", ns, "-f", file);
    expect(first).toMatchObject({ code: 0, stdout: "deployment.apps/web created\n" });
    const created = await c.apps.readNamespacedDeployment({ name: "web", namespace: ns });
    expect(created.metadata?.annotations?.["kubectl.kubernetes.io/last-applied-configuration"]).toContain('"DEMO_LATENCY_MS"');
    await writeFile(file, manifest("7"));
    const second = await kubectl("apply", "-n", ns, "-f", file);
    expect(second).toMatchObject({ code: 0, stdout: "deployment.apps/web configured\n" });
    const d = await c.apps.readNamespacedDeployment({ name: "web", namespace: ns });
    const container = d.spec?.template.spec?.containers[0];
    expect(container?.env).toEqual([{ name: "DEMO_LATENCY_MS", value: "7" }]);
    expect(container?.ports).toEqual([{ containerPort: 8080, name: "http", protocol: "TCP" }]);
    const unchanged = await kubectl("apply", "-n", ns, "-f", file);
    expect(unchanged.stdout).toBe("deployment.apps/web unchanged\n");
  });

  it.skipIf(ON_REAL)(`the second apply was one strategic merge patch${AUDIT}`, () => {
    const patch = clientWrites().filter((a) => a.verb === "patch" && a.resource === "deployments" && a.namespace === ns);
    expect(patch.map((a) => [a.patchType, a.code])).toEqual([["application/strategic-merge-patch+json", 200]]);
  });

  it("get prints JSON, a Deployment table with a NAMESPACE column for -A, and NotFound like a real server", async () => {
    const json = await kubectl("get", "deployment", "web", "-n", ns, "-o", "json");
    expect(JSON.parse(json.stdout)).toMatchObject({ kind: "Deployment", metadata: { name: "web", namespace: ns }, spec: { replicas: 2 } });
    const table = await kubectl("get", "deployment", "web", "-n", ns);
    expect(table.stdout.split("\n")[0]?.split(/\s+/)).toEqual(["NAME", "READY", "UP-TO-DATE", "AVAILABLE", "AGE"]);
    const all = await kubectl("get", "deployments", "-A");
    expect(all.stdout.split("\n")[0]?.split(/\s+/).slice(0, 2)).toEqual(["NAMESPACE", "NAME"]);
    expect(all.stdout.split("\n").some((l) => l.split(/\s+/).slice(0, 2).join(" ") === `${ns} web`)).toBe(true);
    const missing = await kubectl("get", "pod", "zz", "-n", ns);
    expect(missing.code).not.toBe(0);
    expect(missing.stderr).toContain('pods "zz" not found');
  });

  it.skipIf(ON_REAL)(`get pods prints the running pods' table${NEEDS_NODE}`, async () => {
    await waitFor("two ready pods", async () => (await podsOf("app=web")).filter(isReady).length === 2);
    const names = await kubectl("get", "pods", "-n", ns, "-l", "app=web", "-o", "name");
    expect(names.stdout.trim().split("\n")).toHaveLength(2);
    const [header, ...rows] = (await kubectl("get", "pods", "-n", ns, "-l", "app=web")).stdout.trim().split("\n");
    expect(header?.split(/\s+/)).toEqual(["NAME", "READY", "STATUS", "RESTARTS", "AGE"]);
    expect(rows.map((r) => r.split(/\s+/).slice(1, 4))).toEqual([
      ["1/1", "Running", "0"],
      ["1/1", "Running", "0"],
    ]);
    const deploy = await kubectl("get", "deployment", "web", "-n", ns);
    expect(deploy.stdout.split("\n")[1]?.split(/\s+/).slice(0, 4)).toEqual(["web", "2/2", "2", "2"]);
  });

  it("scale sets the replicas through the scale subresource", async () => {
    const scaled = await kubectl("scale", "deployment", "web", "-n", ns, "--replicas=3");
    expect(scaled).toMatchObject({ code: 0, stdout: "deployment.apps/web scaled\n" });
    expect((await c.apps.readNamespacedDeployment({ name: "web", namespace: ns })).spec?.replicas).toBe(3);
    expect((await c.apps.readNamespacedDeploymentScale({ name: "web", namespace: ns })).spec?.replicas).toBe(3);
  });

  it.skipIf(ON_REAL)(`scale patched the scale subresource${AUDIT}`, () => {
    expect(clientWrites().some((a) => a.verb === "patch" && a.subresource === "scale" && a.code === 200)).toBe(true);
  });

  it.skipIf(ON_REAL)(`wait sees the scaled pods Ready${NEEDS_NODE}`, async () => {
    await waitFor("three pods", async () => (await podsOf("app=web")).length === 3);
    const waited = await kubectl("wait", "--for=condition=Ready", "pod", "-n", ns, "-l", "app=web", "--timeout=20s");
    expect(waited.code).toBe(0);
    expect(waited.stdout.trim().split("\n").filter((l) => l.endsWith("condition met"))).toHaveLength(3);
  });

  it.skipIf(ON_REAL)(`describe shows a pod's node, owner, state and readiness${NEEDS_NODE}`, async () => {
    const pod = (await podsOf("app=web")).find(isReady);
    const out = await kubectl("describe", "pod", "-n", ns, pod?.metadata?.name ?? "");
    expect(out.code).toBe(0);
    expect(out.stdout).toMatch(/Node:\s+kube-sim/);
    expect(out.stdout).toMatch(/Controlled By:\s+ReplicaSet\/web-/);
    expect(out.stdout).toMatch(/Ready:\s+True/);
    expect(out.stdout).toContain(`IP:               ${pod?.status?.podIP}`);
  });

  it("get -w prints objects as they are created", async () => {
    await c.core.createNamespacedConfigMap({ namespace: ns, body: { metadata: { name: "listed-cm" } } });
    const child = spawn("kubectl", ["get", "configmaps", "-n", ns, "-w"], { env });
    let out = "";
    child.stdout.on("data", (chunk: Buffer) => (out += chunk.toString()));
    try {
      await waitFor("the listed config map", () => out.includes("listed-cm"));
      await c.core.createNamespacedConfigMap({ namespace: ns, body: { metadata: { name: "watched-cm" } } });
      await waitFor("the new config map in the watch", () => out.includes("watched-cm"));
    } finally {
      child.kill();
    }
  });

  it("delete removes a pod (the ReplicaSet replaces it) and a Deployment with its pods", async () => {
    const pod = (await podsOf("app=web"))[0]?.metadata?.name ?? "";
    const deleted = await kubectl("delete", "pod", "-n", ns, pod);
    expect(deleted).toMatchObject({ code: 0, stdout: `pod "${pod}" deleted\n` });
    const names = (await podsOf("app=web")).map((p) => p.metadata?.name);
    expect(names).not.toContain(pod);
    const gone = await kubectl("delete", "deployment", "web", "-n", ns);
    expect(gone.code).toBe(0);
    await waitFor("no pods left", async () => (await podsOf("app=web")).length === 0);
  });
});
