import { afterEach, beforeEach, describe, expect, test } from "vitest";
import type { AnyEvent } from "@baton/contracts";
import { specInput } from "@baton/contracts/testing";
import { LABEL_APP, LABEL_MANAGED_BY, startServices, type ServiceHandle } from "@baton/runtime";
import { openTestRuntime, testConfig, waitFor, type TestRuntime } from "@baton/runtime/testing";
import { plannerService, type IntakeReply } from "../src/index.js";
import { liveRevision, startCluster, type Cluster } from "./cluster.js";

// Issue 22, item 4, at plan time: a release whose names Baton would write — the production Service
// `<app>`, the preview Service `<app>-preview`, the live Deployment `<app>-<rev>` — are taken by
// objects Baton did not make for this app is rejected before anything is created, each object
// named with why. (The writing stages check again: a label can change after the plan.)

let cluster: Cluster;
let rt: TestRuntime;
let handle: ServiceHandle;

beforeEach(async () => {
  cluster = await startCluster("shop");
  const config = testConfig({ KUBECONFIG: cluster.kubeconfigPath, BATON_SERVICE_ADDRESS: "load-balancer" });
  rt = await openTestRuntime("test", config);
  handle = await startServices(config, [plannerService], { http: false });
});

afterEach(async () => {
  await handle?.stop();
  await rt?.cleanup();
  await cluster.close();
});

async function verdict(app: string): Promise<AnyEvent> {
  const reply = (await rt.bus.nc.request(rt.bus.subjects.intakeOf("shop"), JSON.stringify(specInput({ app })), { timeout: 5000 })).json<IntakeReply>();
  if (!reply.ok) throw new Error(JSON.stringify(reply));
  return waitFor("the verdict", async () => (await rt.bus.releaseEvents(reply.releaseId)).find((e) => e.name === "ReleasePlanned" || e.name === "ReleaseRejected"));
}

const reasons = (e: AnyEvent) => (e.name === "ReleaseRejected" ? e.data.reasons : []);

describe("planner: the names a release needs are Baton's (or free)", () => {
  test("a team's own production Service and live Deployment are named, and the lock is not kept", async () => {
    await liveRevision(cluster, "shop", "web", 1, { deployment: null, service: null });
    const e = await verdict("web");
    expect(e.name).toBe("ReleaseRejected");
    expect(reasons(e)).toEqual([
      {
        path: "app",
        rule: "must not need an object Baton did not make",
        message: "app: Service shop/web exists and was not made by Baton (no label app.kubernetes.io/managed-by=baton): Baton changes only objects it made",
      },
      {
        path: "app",
        rule: "must not need an object Baton did not make",
        message: "app: Deployment shop/web-1 exists and was not made by Baton (no label app.kubernetes.io/managed-by=baton): Baton changes only objects it made",
      },
    ]);
    expect(await rt.store.lockHolder("shop", "web")).toBeNull();
  });

  test("the production Service of an app named <app>-preview is not app <app>'s preview", async () => {
    await cluster.core.createNamespacedService({
      namespace: "shop",
      body: { metadata: { name: "pv-preview", labels: { [LABEL_APP]: "pv-preview", [LABEL_MANAGED_BY]: "baton" } }, spec: { selector: { [LABEL_APP]: "pv-preview" }, ports: [{ port: 80 }] } },
    });
    const e = await verdict("pv");
    expect(reasons(e).map((r) => r.message)).toEqual([
      'app: Service shop/pv-preview belongs to app "pv-preview", not "pv" (label app.kubernetes.io/name): Baton changes only the objects of the app it releases',
    ]);
  });

  test("Baton's own objects of the app are planned over as before", async () => {
    await liveRevision(cluster, "shop", "web", 1);
    const e = await verdict("web");
    expect(e.name === "ReleasePlanned" && e.data).toMatchObject({ revision: 2, previousRevision: 1 });
  });
});
