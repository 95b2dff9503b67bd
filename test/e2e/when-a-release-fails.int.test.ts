import { execFile } from "node:child_process";
import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, describe, expect, test } from "vitest";
import { onPath, waitFor } from "@baton/runtime/testing";
import type { Baton } from "../harness.js";
import { batonWithReleases } from "./release-crd.js";

// Issue 23: when a release fails, the cluster tells a person why, with the commands they type first
// on any cluster: `kubectl logs` of the failing pod, its Events (`kubectl describe pod`), and
// Baton's own Warning Events on the revision's Deployment and on the Release object
// (`kubectl describe release`). The README's "When a release fails" walks through these steps.

const PROBE = { httpGet: { path: "/healthz", port: 8080 } };


const HAVE_KUBECTL = onPath("kubectl");
const title = HAVE_KUBECTL ? "when a release fails" : "when a release fails (SKIPPED: no kubectl on PATH; scripts/test installs Debian's kubernetes-client)";

let baton: Baton | undefined;
let dir: string | undefined;
afterEach(async () => {
  await baton?.stop();
  baton = undefined;
  if (dir) await rm(dir, { recursive: true, force: true });
  dir = undefined;
});

/** Baton with the Release CRD, web v1 released by the Release `web`, and kubectl as a person runs it. */
async function webAtV1() {
  const { b, objects, ref } = await batonWithReleases();
  baton = b;
  dir = await mkdtemp(join(tmpdir(), "baton-kubectl-"));
  const kubeconfig = join(dir, "kubeconfig");
  await writeFile(kubeconfig, b.cluster.kubeconfig, { mode: 0o600 });
  const kubectl = (...args: string[]): Promise<string> =>
    new Promise((resolve, reject) => {
      execFile("kubectl", ["--kubeconfig", kubeconfig, "-n", b.ns, ...args], { timeout: 30_000 }, (err, stdout, stderr) => (err ? reject(new Error(`kubectl ${args.join(" ")}: ${stderr}`)) : resolve(stdout)));
    });
  type Release = { metadata: Record<string, unknown>; spec: Record<string, unknown>; status?: { phase?: string; releaseId?: string; observedGeneration?: number } };
  const get = () => objects.getNamespacedCustomObject({ ...ref, name: "web" }) as Promise<Release>;
  const reached = (phase: string, generation: number) =>
    waitFor(`Release web generation ${generation} to reach ${phase}`, async () => {
      const s = (await get()).status;
      return s?.phase === phase && s.observedGeneration === generation ? s : undefined;
    }, 90_000, 50);
  const v1 = { app: "web", image: "baton.dev/demo-app:1.0.0", replicas: 1, template: { spec: { containers: [{ name: "app", readinessProbe: PROBE }] } } };
  await objects.createNamespacedCustomObject({ ...ref, body: { apiVersion: "baton.dev/v1alpha1", kind: "Release", metadata: { name: "web" }, spec: v1 } });
  await reached("completed", 1);
  /** `kubectl apply` of a new spec: the Release's next generation. */
  const change = async (spec: Record<string, unknown>) => {
    const current = await get();
    await objects.replaceNamespacedCustomObject({ ...ref, name: "web", body: { ...current, spec: { ...v1, ...spec } } });
  };
  return { b, kubectl, change, reached };
}

describe.skipIf(!HAVE_KUBECTL)(title, () => {
  test("a readiness that never passes: the pod's log and Unhealthy event say why, Baton's Warnings say what it did", async () => {
    // Given web at revision 1, released by the Release object `web`
    const { kubectl, change, reached } = await webAtV1();

    // When the Release asks for 2.0.0, whose pods never become ready
    const env = [{ name: "DEMO_NEVER_READY", value: "true" }];
    await change({ image: "baton.dev/demo-app:2.0.0", podsLiveTimeoutSeconds: 15, template: { spec: { containers: [{ name: "app", readinessProbe: PROBE, env }] } } });

    // Then, while the release waits for them, the new pod says why it is not ready
    const pod = await waitFor("web-2's pod", async () => (await kubectl("get", "pods", "-l", "baton.dev/revision=2", "-o", "name")).trim() || undefined, 30_000);
    const logs = await waitFor("the pod's log", async () => (await kubectl("logs", pod)).trim() || undefined);
    expect(logs.split("\n")).toEqual(expect.arrayContaining([expect.stringMatching(/^demo-app 2\.0\.0 listening on /), "DEMO_NEVER_READY=true: /healthz answers 503, this app never becomes ready"]));
    const described = await waitFor("the Unhealthy event", async () => {
      const out = await kubectl("describe", pod);
      return /Warning\s+Unhealthy\s+.*kubelet\s+Readiness probe failed: HTTP probe failed with statuscode: 503/.test(out) ? out : undefined;
    }, 30_000);
    expect(described).toMatch(/Normal\s+Started\s+.*kubelet\s+Started container app/);

    // And once the release has rolled back, Baton's Warnings are on the Deployment and on the Release
    await reached("rolled_back", 2);
    const onDeployment = await kubectl("get", "events", "--field-selector", "involvedObject.kind=Deployment,involvedObject.name=web-2");
    expect(onDeployment).toMatch(/Warning\s+PodsFailed\s+deployment\/web-2\s+Release cr-\S+: 0 of 1 pods Ready after 15 s; web-2-\S+: ContainersNotReady: containers with unready status: \[app\]/);
    expect(onDeployment).toMatch(/Warning\s+ReleaseRolledBack\s+deployment\/web-2\s+Release cr-\S+ rolled back: .*production stays on revision 1/);
    const release = await kubectl("describe", "release", "web");
    expect(release).toMatch(/Normal\s+ReleasePlanned\s+.*baton\.dev\/planner\s+Release cr-\S+: revision 2 \(web-2, image baton\.dev\/demo-app:2\.0\.0\), replaces revision 1/);
    expect(release).toMatch(/Warning\s+PodsFailed\s+.*baton\.dev\/pod-manager\s+Release cr-\S+: 0 of 1 pods Ready/);
    expect(release).toMatch(/Warning\s+ReleaseRolledBack\s+.*baton\.dev\/pod-manager\s+Release cr-\S+ rolled back/);
    // and production never left revision 1
    expect(await kubectl("get", "service", "web", "-o", "jsonpath={.spec.selector.baton\\.dev/revision}")).toBe("1");
  });

  test("a validation that fails: the failed checks, as a Warning on the Deployment and on the Release", async () => {
    // Given web at revision 1
    const { kubectl, change, reached } = await webAtV1();

    // When 2.0.0 answers every request with 500
    const env = [{ name: "DEMO_ERROR_RATE", value: "1" }];
    const validation = { tests: [{ name: "version", request: { path: "/version" }, expect: { status: 200 } }] };
    await change({ image: "baton.dev/demo-app:2.0.0", validation, template: { spec: { containers: [{ name: "app", readinessProbe: PROBE, env }] } } });
    await reached("rolled_back", 2);

    // Then the Deployment the pod-manager tore down, and the Release, say which check failed and how
    const onDeployment = await kubectl("get", "events", "--field-selector", "involvedObject.kind=Deployment,involvedObject.name=web-2,type=Warning");
    // (kube-sim's pods answer 500; on a real cluster lane the first request may also meet a preview Service not yet proxied)
    expect(onDeployment).toMatch(/Warning\s+ValidationFailed\s+deployment\/web-2\s+Release cr-\S+: revision 2 failed validation: version: expected status 200, got (status 500|ECONNRESET)/);
    const release = await kubectl("describe", "release", "web");
    expect(release).toMatch(/Warning\s+ValidationFailed\s+.*baton\.dev\/validator\s+Release cr-\S+: revision 2 failed validation: version: expected status 200, got (status 500|ECONNRESET)/);
    expect(release).toMatch(/Warning\s+ReleaseRolledBack\s+.*baton\.dev\/pod-manager/);
  });
});
