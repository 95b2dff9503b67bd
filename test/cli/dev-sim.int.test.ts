import { execFile, spawn, type ChildProcess } from "node:child_process";
import { mkdtemp, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { promisify } from "node:util";
import { CoreV1Api, KubeConfig } from "@kubernetes/client-node";
import { afterAll, beforeAll, describe, expect, test } from "vitest";
import { openTestRuntime, testConfig, waitFor, type TestRuntime } from "@baton/runtime/testing";
import { CLI_ARGS, ROOT } from "./run-cli.js";

// Issue 21: the Release resource with `baton dev --sim`, as a person tries it: `baton dev --sim`
// runs as a process (its kube-sim is new, and it installs the Release CRD itself), then `kubectl
// apply` of a Release is released to the end and `kubectl get releases` shows it; editing the
// image and applying again releases the next revision.

const run = promisify(execFile);
const kubectlFound = await run("kubectl", ["version", "--client"]).then(() => true, () => false);

let dev: ChildProcess | undefined;
let out = "";
let dir: string;
let kubeconfig: string;
let rt: TestRuntime;

const kubectl = async (...args: string[]) => (await run("kubectl", ["--kubeconfig", kubeconfig, ...args])).stdout;

function releaseYaml(version: string): string {
  return [
    "apiVersion: baton.dev/v1alpha1",
    "kind: Release",
    "metadata: { name: web, namespace: shop }",
    "spec:",
    "  app: web",
    `  image: baton.dev/demo-app:${version}`,
    "  replicas: 2",
    "  template: { spec: { containers: [ { name: app, readinessProbe: { httpGet: { path: /healthz, port: 8080 } } } ] } }",
    `  validation: { tests: [ { name: version, request: { path: /version }, expect: { bodyContains: "${version}" } } ] }`,
    "  shutdown: { delaySeconds: 0, gracePeriodSeconds: 0 }",
    "",
  ].join("\n");
}

beforeAll(async () => {
  if (!kubectlFound) return;
  dir = await mkdtemp(join(tmpdir(), "baton-dev-sim-"));
  kubeconfig = join(dir, "kubeconfig");
  const config = testConfig();
  rt = await openTestRuntime("dev-sim", config); // to clean the prefix's streams and keys after
  dev = spawn(process.execPath, [...CLI_ARGS, "dev", "--sim", "--kubeconfig", kubeconfig], {
    cwd: ROOT,
    detached: true, // its own process group: the whole tree ends with it
    env: { ...process.env, BATON_PREFIX: config.BATON_PREFIX, BATON_HTTP_PORT: "0", BATON_LOG_LEVEL: "warn", NO_COLOR: "1" },
    stdio: ["ignore", "pipe", "pipe"],
  });
  dev.stdout?.on("data", (c: Buffer) => (out += c.toString()));
  dev.stderr?.on("data", (c: Buffer) => (out += c.toString()));
  await waitFor("baton dev --sim to run the five stages", () => out.includes("all five stages running"), 60_000, 100);
});

afterAll(async () => {
  if (dev?.pid !== undefined && dev.exitCode === null) {
    const exited = new Promise((r) => dev?.once("exit", r));
    process.kill(-dev.pid, "SIGTERM");
    await exited;
  }
  await rt?.cleanup();
});

describe.skipIf(!kubectlFound)("baton dev --sim and the Release resource", () => {
  test("kubectl apply of a Release reaches completed; editing its image releases the next revision", async () => {
    // Given `baton dev --sim` (the CRD is there without anyone applying it)
    expect(await kubectl("get", "crd", "releases.baton.dev", "-o", "name")).toBe("customresourcedefinition.apiextensions.k8s.io/releases.baton.dev\n");
    const kc = new KubeConfig();
    kc.loadFromFile(kubeconfig);
    await kc.makeApiClient(CoreV1Api).createNamespace({ body: { metadata: { name: "shop" } } });
    // When a Release is applied
    const file = join(dir, "release.yaml");
    await writeFile(file, releaseYaml("1.0.0"));
    expect(await kubectl("apply", "-f", file)).toBe("release.baton.dev/web created\n");
    // Then its status reaches completed at revision 1
    const phase = (jsonpath: string) => kubectl("get", "release", "web", "-n", "shop", "-o", `jsonpath=${jsonpath}`);
    await waitFor("the Release completed", async () => (await phase("{.status.phase}")) === "completed", 60_000, 200);
    expect(await phase("{.status.revision} {.status.observedGeneration}")).toBe("1 1");
    const table = (await kubectl("get", "releases", "-n", "shop")).trim().split("\n");
    expect(table[0]?.split(/\s+/)).toEqual(["NAME", "APP", "PHASE", "REVISION", "AGE"]);
    expect(table[1]).toMatch(/^web\s+web\s+completed\s+1\s+\d+s$/);

    // When its image is edited and the file applied again (as a GitOps tool would)
    await writeFile(file, releaseYaml("2.0.0"));
    expect(await kubectl("apply", "-f", file)).toBe("release.baton.dev/web configured\n");
    // Then the next revision is released and serves production
    await waitFor("generation 2 completed", async () => (await phase("{.status.observedGeneration} {.status.phase}")) === "2 completed", 60_000, 200);
    expect(await phase("{.status.revision}")).toBe("2");
    expect(await kubectl("get", "service", "web", "-n", "shop", "-o", "jsonpath={.spec.selector.baton\\.dev/revision}")).toBe("2");
    // Baton wrote the status, never the spec
    expect(await phase("{.spec.image}")).toBe("baton.dev/demo-app:2.0.0");
  });
});
