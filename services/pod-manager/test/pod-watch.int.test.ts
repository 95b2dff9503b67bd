import { mkdtemp } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, describe, expect, test } from "vitest";
import { CoreV1Api, type V1Pod } from "@kubernetes/client-node";
import { startKubeSim, type KubeSim } from "@baton/kube-sim";
import { PodWatchHub, createLogger, createMetrics, loadKubeConfig, type Metrics } from "@baton/runtime";
import { waitFor } from "@baton/runtime/testing";

// The shared pod watch guards itself: a watch the server never ends is restarted from where it
// was, and the cache is listed again from time to time, so neither a silently dead connection nor a
// missed event can leave a release waiting on a stale view of its pods.

let sim: KubeSim | undefined;
let hub: PodWatchHub | undefined;
afterEach(async () => {
  await hub?.close();
  await sim?.close();
  hub = undefined;
  sim = undefined;
});

const calls = async (metrics: Metrics, verb: string) =>
  (await metrics.kubeRequests.get()).values.filter((v) => v.labels.verb === verb && v.labels.resource === "pods").reduce((n, v) => n + v.value, 0);

function pod(name: string): V1Pod {
  return {
    metadata: { name, labels: { "app.kubernetes.io/name": "web", "baton.dev/revision": "1" } },
    spec: { containers: [{ name: "app", image: "baton.dev/demo-app:1.0.0" }] },
  };
}

describe("the pod-manager's shared pod watch", () => {
  test("a watch that outlives its guard is restarted from where it was, lists again on schedule, and still sees every change", async () => {
    sim = await startKubeSim();
    const kubeconfig = join(await mkdtemp(join(tmpdir(), "baton-pod-watch-")), "kubeconfig");
    await sim.writeKubeconfig(kubeconfig);
    const kc = loadKubeConfig({ KUBECONFIG: kubeconfig });
    const core = kc.makeApiClient(CoreV1Api);
    await core.createNamespace({ body: { metadata: { name: "shop" } } });
    const metrics = createMetrics();
    hub = new PodWatchHub(kc, core, createLogger({ service: "test", level: "silent" }), metrics, { watchGuardMs: 300, relistMs: 1500 });
    let seen: readonly V1Pod[] = [];
    hub.subscribe("shop", (pods) => (seen = pods));
    await waitFor("the first list", async () => (await calls(metrics, "list")) >= 1);

    // Given watches the server would keep open for minutes, the guard restarts them
    await waitFor("three watches", async () => (await calls(metrics, "watch")) >= 3, 10_000, 50);
    // and a change after those restarts still reaches the cache
    await core.createNamespacedPod({ namespace: "shop", body: pod("late-pod") });
    await waitFor("the new pod in the cache", () => seen.some((p) => p.metadata?.name === "late-pod"), 5000, 20);
    // and the cache is listed again on schedule
    await waitFor("a second list", async () => (await calls(metrics, "list")) >= 2, 10_000, 50);
    expect(seen.map((p) => p.metadata?.name)).toContain("late-pod");
  });
});
