import { execFile } from "node:child_process";
import { mkdtemp, readFile, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { promisify } from "node:util";
import { ApiextensionsV1Api, CoreV1Api, CustomObjectsApi, KubeConfig, type V1CustomResourceDefinition } from "@kubernetes/client-node";
import { parse } from "yaml";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import type { Subscription } from "@nats-io/transport-node";
import { releaseEvents, spec } from "@baton/contracts/testing";
import { startKubeSim, type KubeSim } from "@baton/kube-sim";
import { isNotFound, type Component } from "@baton/runtime";
import { openTestRuntime, testConfig, waitFor, type TestRuntime } from "@baton/runtime/testing";
import { startReleaseResourceWatcher } from "../../services/planner/src/release-resource/index.js";
import { CRD_FILE } from "./crd-schema.js";

// Given kube-sim with the Release CRD applied, real NATS and Redis, and the planner's Release
// watcher: creating a Release publishes one request on the intake (answered here as the planner
// would), and the release's progress is written back to the Release's status until it ends.

const run = promisify(execFile);
let sim: KubeSim;
let kubeconfig: string;
let kc: KubeConfig;
let custom: CustomObjectsApi;
let rt: TestRuntime;
let watcher: Component | undefined;
let intake: Subscription | undefined;
const requests: Record<string, unknown>[] = [];
const envelopes: { source: string; id: string; subject?: string }[] = [];
const kubectl = await run("kubectl", ["version", "--client"]).then(() => true, () => false);

const R = { group: "baton.dev", version: "v1alpha1", plural: "releases" };

type Answer = (body: Record<string, unknown>) => Promise<unknown>;

/** Answers the intake as the planner would: records ReleaseRequested, replies with the release id. */
const accept: Answer = async (body) => {
  const releaseId = body.releaseId as string;
  const { releaseId: _id, ...rest } = body;
  await rt.store.apply(releaseEvents(releaseId, "web", "shop")("ReleaseRequested", { spec: spec(rest as never) }));
  return { ok: true, releaseId };
};

function serveIntake(answer: Answer): void {
  intake?.unsubscribe();
  intake = rt.bus.nc.subscribe(rt.bus.subjects.intakeOf("shop"), { // the Release's own namespace
    callback: (_err, msg) => {
      // A Release's request is a CloudEvent naming the object (its source and id); its data is the intake body.
      const envelope = msg.json<{ source: string; id: string; subject?: string; data: Record<string, unknown> }>();
      envelopes.push(envelope);
      requests.push(envelope.data);
      void answer(envelope.data).then((reply) => msg.respond(JSON.stringify(reply)));
    },
  });
}

async function createRelease(name: string, specBody: Record<string, unknown>): Promise<{ uid: string }> {
  const body = { apiVersion: "baton.dev/v1alpha1", kind: "Release", metadata: { name, namespace: "shop" }, spec: specBody };
  const created = (await custom.createNamespacedCustomObject({ ...R, namespace: "shop", body })) as { metadata: { uid: string } };
  return created.metadata;
}

async function statusOf(name: string): Promise<Record<string, any> | undefined> {
  const obj = (await custom.getNamespacedCustomObject({ ...R, namespace: "shop", name })) as { status?: Record<string, any> };
  return obj.status;
}

/** The Release's finalizers; null once it is gone. */
async function finalizersOf(name: string): Promise<string[] | null> {
  try {
    const obj = (await custom.getNamespacedCustomObject({ ...R, namespace: "shop", name })) as { metadata: { finalizers?: string[] } };
    return obj.metadata.finalizers ?? [];
  } catch (err) {
    if (isNotFound(err)) return null;
    throw err;
  }
}

beforeAll(async () => {
  sim = await startKubeSim();
  const dir = await mkdtemp(join(tmpdir(), "baton-release-cr-"));
  kubeconfig = join(dir, "kubeconfig");
  await sim.writeKubeconfig(kubeconfig);
  kc = new KubeConfig();
  kc.loadFromString(sim.kubeconfig());
  custom = kc.makeApiClient(CustomObjectsApi);
  const crd = parse(await readFile(CRD_FILE, "utf8")) as V1CustomResourceDefinition;
  await kc.makeApiClient(ApiextensionsV1Api).createCustomResourceDefinition({ body: crd });
  await kc.makeApiClient(CoreV1Api).createNamespace({ body: { metadata: { name: "shop" } } });
  rt = await openTestRuntime("release-cr", testConfig({ KUBECONFIG: kubeconfig, BATON_ALLOWED_NAMESPACES: "shop" }));
});

afterEach(async () => {
  await watcher?.stop();
  watcher = undefined;
  requests.length = 0;
  envelopes.length = 0;
});

afterAll(async () => {
  intake?.unsubscribe();
  await rt?.cleanup();
  await sim?.close();
});

describe("the Release custom resource", () => {
  it("publishes one request per generation and writes the release's progress back until it completes", async () => {
    serveIntake(accept);
    watcher = await startReleaseResourceWatcher(rt, kc, { pollMs: 20, relistMs: 60_000 });
    const { uid } = await createRelease("web-2", { app: "web", image: "baton.dev/demo-app:2.0.0", replicas: 2 });
    const releaseId = `cr-${uid.replace(/-/g, "").slice(0, 8)}-1`;
    await waitFor("the intake request", () => requests.length === 1);
    expect(requests[0]).toMatchObject({ app: "web", namespace: "shop", image: "baton.dev/demo-app:2.0.0", replicas: 2, releaseId });
    expect(envelopes[0]).toMatchObject({ specversion: "1.0", type: "dev.baton.release.requested.v1", source: "/apis/baton.dev/v1alpha1/namespaces/shop/releases/web-2", subject: "web-2" });
    expect(envelopes[0]?.id).toMatch(/^[0-9a-f-]{36}\/1$/);
    const requested = await waitFor("status phase requested", async () => ((await statusOf("web-2"))?.phase === "requested" ? statusOf("web-2") : undefined));
    expect(requested).toMatchObject({ releaseId, observedGeneration: 1 });
    expect(requested?.conditions).toEqual(expect.arrayContaining([expect.objectContaining({ type: "Progressing", status: "True" }), expect.objectContaining({ type: "Ready", status: "Unknown" })]));

    // the release moves on (as the stages would move it): the status follows
    const ev = releaseEvents(releaseId, "web", "shop", Date.now());
    for (const e of [
      ev("ReleasePlanned", { revision: 3, previousRevision: null, fence: 1 }),
      ev("PodsLive", { revision: 3, ready: 2, desired: 2 }),
      ev("ValidationPassed", { revision: 3, checks: [], warmup: null }),
      ev("TrafficSwitched", { from: null, to: 3, endpoints: 2 }),
      ev("ReleaseCompleted", { revision: 3, previousRevision: null, forcedPods: 0, postRelease: [] }),
    ]) {
      expect((await rt.store.apply(e)).kind).toBe("applied");
    }
    const done = await waitFor("status phase completed", async () => ((await statusOf("web-2"))?.phase === "completed" ? statusOf("web-2") : undefined));
    expect(done).toMatchObject({ phase: "completed", revision: 3, releaseId, observedGeneration: 1 });
    expect(done?.conditions).toEqual(expect.arrayContaining([expect.objectContaining({ type: "Ready", status: "True", reason: "Completed" }), expect.objectContaining({ type: "Progressing", status: "False" })]));
    const writes = sim.audit().filter((a) => a.resource === "releases" && a.subresource === "status" && a.user !== "system:kube-sim");
    expect(writes.every((w) => w.verb === "patch" && w.patchType === "application/merge-patch+json")).toBe(true);

    // a restart of the watcher does not start the release twice
    await watcher.stop();
    requests.length = 0;
    watcher = await startReleaseResourceWatcher(rt, kc, { pollMs: 20, relistMs: 60_000 });
    await createRelease("web-after-restart", { app: "web", image: "baton.dev/demo-app:2.0.0" });
    await waitFor("the request of a Release created after the restart", () => requests.length > 0);
    // the new watcher has listed every Release: only the new one was submitted
    expect(requests.map((r) => r.releaseId)).not.toContain(releaseId);
    expect(requests).toHaveLength(1);
  });

  it("starts a new release for a new generation of the same Release", async () => {
    serveIntake(accept);
    watcher = await startReleaseResourceWatcher(rt, kc, { pollMs: 20, relistMs: 60_000 });
    const { uid } = await createRelease("web-gen", { app: "web", image: "baton.dev/demo-app:2.0.0" });
    await waitFor("the first request", () => requests.length === 1);
    await custom.patchNamespacedCustomObject(
      { ...R, namespace: "shop", name: "web-gen", body: [{ op: "replace", path: "/spec/image", value: "baton.dev/demo-app:2.1.0" }] },
    );
    await waitFor("the second request", () => requests.length === 2);
    expect(requests[1]).toMatchObject({ image: "baton.dev/demo-app:2.1.0", releaseId: `cr-${uid.replace(/-/g, "").slice(0, 8)}-2` });
    await waitFor("status of generation 2", async () => (await statusOf("web-gen"))?.observedGeneration === 2);
  });

  it("shows a refusal as phase Rejected with the reasons, and refuses another namespace without asking the intake", async () => {
    serveIntake(async () => ({ ok: false, reasons: [{ path: "image", rule: "invalid_format", message: "must be an image reference" }] }));
    watcher = await startReleaseResourceWatcher(rt, kc, { pollMs: 20, relistMs: 60_000 });
    await createRelease("web-bad", { app: "web", image: "baton.dev/demo-app:9" });
    const rejected = await waitFor("Rejected", async () => ((await statusOf("web-bad"))?.phase === "Rejected" ? statusOf("web-bad") : undefined));
    expect(rejected?.conditions).toEqual(expect.arrayContaining([expect.objectContaining({ type: "Ready", status: "False", reason: "Rejected", message: "image: must be an image reference" })]));

    await createRelease("web-elsewhere", { app: "web", namespace: "payments", image: "baton.dev/demo-app:2.0.0" });
    const elsewhere = await waitFor("Rejected", async () => ((await statusOf("web-elsewhere"))?.phase === "Rejected" ? statusOf("web-elsewhere") : undefined));
    expect(elsewhere?.message).toMatch(/spec.namespace: must be the Release's own namespace "shop"/);
    expect(requests.filter((r) => r.namespace === "payments" || r.app === undefined)).toHaveLength(0);
    expect(requests).toHaveLength(1);
  });

  it("a Release deleted when its release can no longer be aborted (v1 draining) is kept until the release ends, then let go", async () => {
    serveIntake(accept);
    watcher = await startReleaseResourceWatcher(rt, kc, { pollMs: 20, relistMs: 60_000 });
    const { uid } = await createRelease("web-draining", { app: "web", image: "baton.dev/demo-app:2.0.0" });
    const releaseId = `cr-${uid.replace(/-/g, "").slice(0, 8)}-1`;
    await waitFor("the finalizer and the request", async () => requests.length === 1 && (await finalizersOf("web-draining"))?.includes("baton.dev/release"));
    await waitFor("the request recorded", async () => (await rt.store.get(releaseId)) !== null);
    const ev = releaseEvents(releaseId, "web", "shop", Date.now());
    for (const e of [
      ev("ReleasePlanned", { revision: 2, previousRevision: 1, fence: 1 }),
      ev("PodsLive", { revision: 2, ready: 1, desired: 1 }),
      ev("ValidationPassed", { revision: 2, checks: [], warmup: null }),
      ev("TrafficSwitched", { from: 1, to: 2, endpoints: 1 }),
      ev("DrainDue", { revision: 1 }),
    ]) {
      expect((await rt.store.apply(e)).kind).toBe("applied");
    }
    await waitFor("status draining", async () => (await statusOf("web-draining"))?.phase === "draining");

    await custom.deleteNamespacedCustomObject({ ...R, namespace: "shop", name: "web-draining" });
    // the abort is refused (v1 is already shutting down; production stays on v2): the Release stays
    await new Promise((r) => setTimeout(r, 300));
    expect((await finalizersOf("web-draining"))).toEqual(["baton.dev/release"]);
    expect((await rt.bus.releaseEvents(releaseId)).map((e) => e.name)).not.toContain("AbortRequested");

    for (const e of [ev("ShutdownDue", { revision: 1 }), ev("ReleaseCompleted", { revision: 2, previousRevision: 1, forcedPods: 0, postRelease: [] })]) {
      expect((await rt.store.apply(e)).kind).toBe("applied");
    }
    await waitFor("the Release gone once its release completed", async () => (await finalizersOf("web-draining")) === null);
  });

  it("a Release deleted while the intake does not answer (nothing started) is let go once the request times out", async () => {
    serveIntake(async () => new Promise(() => undefined)); // the intake never answers
    watcher = await startReleaseResourceWatcher(rt, kc, { pollMs: 20, relistMs: 60_000 });
    await createRelease("web-unanswered", { app: "web", image: "baton.dev/demo-app:2.0.0" });
    await waitFor("the finalizer", async () => (await finalizersOf("web-unanswered"))?.includes("baton.dev/release"));
    await custom.deleteNamespacedCustomObject({ ...R, namespace: "shop", name: "web-unanswered" });
    // the pass that sent the request waits for its 10 s timeout; the next one lets the Release go
    await waitFor("the Release gone", async () => (await finalizersOf("web-unanswered")) === null, 20_000);
  });

  it.skipIf(!kubectl)("is applied with kubectl and listed by `kubectl get releases`", async () => {
    serveIntake(accept);
    watcher = await startReleaseResourceWatcher(rt, kc, { pollMs: 20, relistMs: 60_000 });
    const file = join(tmpdir(), `release-${process.pid}.yaml`);
    await writeFile(file, "apiVersion: baton.dev/v1alpha1\nkind: Release\nmetadata: { name: web-kubectl, namespace: shop }\nspec: { app: web, image: baton.dev/demo-app:3.0.0 }\n");
    const applied = await run("kubectl", ["--kubeconfig", kubeconfig, "apply", "-f", file]);
    expect(applied.stdout).toContain("release.baton.dev/web-kubectl created");
    await waitFor("status requested", async () => (await statusOf("web-kubectl"))?.phase === "requested");
    const listed = await run("kubectl", ["--kubeconfig", kubeconfig, "get", "releases", "-n", "shop", "-o", "jsonpath={range .items[*]}{.metadata.name}={.status.phase} {end}"]);
    expect(listed.stdout).toContain("web-kubectl=requested");
    // the CRD's printer columns, as a real API server serves them to `kubectl get`
    const table = await run("kubectl", ["--kubeconfig", kubeconfig, "get", "releases", "-n", "shop"]);
    const [header, ...rows] = table.stdout.trim().split("\n");
    expect(header?.split(/\s+/)).toEqual(["NAME", "APP", "PHASE", "REVISION", "AGE"]);
    expect(rows.find((r) => r.startsWith("web-kubectl "))).toMatch(/^web-kubectl\s+web\s+requested\s+/);
    expect(rows.find((r) => r.startsWith("web-2 "))).toMatch(/^web-2\s+web\s+completed\s+\d+\s+/);
  });
});
