import { afterEach, beforeEach, describe, expect, test } from "vitest";
import type { AnyEvent, ReleaseSpecInput } from "@baton/contracts";
import { specInput } from "@baton/contracts/testing";
import { startServices, type ServiceHandle } from "@baton/runtime";
import { openTestRuntime, testConfig, waitFor, type TestRuntime } from "@baton/runtime/testing";
import { plannerService, type IntakeReply } from "../src/index.js";
import { startCluster, type Cluster } from "./cluster.js";

// Issue 22, items 1 and 2: what a release may reach beyond its own app is decided before anything
// is created. Given kube-sim with Secrets of two apps in `shop`, and a planner on real NATS and
// Redis, when a release names a webhook host or a Secret it may not use, then it is rejected,
// every such field named with its rule, and the app's lock is not taken.

let cluster: Cluster;
let rt: TestRuntime;
let handle: ServiceHandle;

beforeEach(async () => {
  cluster = await startCluster("shop");
  const secret = (name: string, labels?: Record<string, string>) =>
    cluster.core.createNamespacedSecret({ namespace: "shop", body: { metadata: { name, ...(labels ? { labels } : {}) }, stringData: { url: "postgres://u:pw@db/x" } } });
  await secret("web-db", { "baton.dev/app": "web" });
  await secret("billing-db", { "baton.dev/app": "billing" });
  await secret("loose-db");
  await secret("shared-db");
});

afterEach(async () => {
  await handle?.stop();
  await rt?.cleanup();
  await cluster.close();
});

async function start(overrides: Record<string, string> = {}): Promise<void> {
  const config = testConfig({ KUBECONFIG: cluster.kubeconfigPath, BATON_SERVICE_ADDRESS: "load-balancer", ...overrides });
  rt = await openTestRuntime("test", config);
  handle = await startServices(config, [plannerService], { http: false });
}

async function verdict(spec: Partial<ReleaseSpecInput>): Promise<AnyEvent> {
  const m = await rt.bus.nc.request(rt.bus.subjects.intake, JSON.stringify(specInput(spec)), { timeout: 5000 });
  const reply = m.json<IntakeReply>();
  if (!reply.ok) throw new Error(`refused at the intake: ${JSON.stringify(reply)}`);
  return waitFor("the planner's verdict", async () =>
    (await rt.bus.releaseEvents(reply.releaseId)).find((e) => e.name === "ReleasePlanned" || e.name === "ReleaseRejected"),
  );
}

const sql = (name: string, secret: string) => ({ name, sql: { connectionSecretRef: { name: secret, key: "url" }, statements: ["SELECT 1"] } });
const hook = (name: string, url: string, token?: string) => ({
  name,
  webhook: { url, ...(token ? { bearerTokenSecretRef: { name: token, key: "url" } } : {}) },
});

describe("planner: what a release may reach", () => {
  test("webhooks: with BATON_WEBHOOK_ALLOWED_HOSTS unset, none is allowed; a listed host is", async () => {
    await start();
    const refused = await verdict({ postRelease: [hook("notify", "https://hooks.example.com/x")] });
    expect(refused.name).toBe("ReleaseRejected");
    expect(refused.name === "ReleaseRejected" && refused.data.reasons).toEqual([
      {
        path: "postRelease[0].webhook.url",
        rule: "must call an allowed webhook host (BATON_WEBHOOK_ALLOWED_HOSTS)",
        message: "postRelease[0].webhook.url: host hooks.example.com is not an allowed webhook host (BATON_WEBHOOK_ALLOWED_HOSTS; none is allowed)",
      },
    ]);
    expect(await rt.store.lockHolder("shop", "web")).toBeNull();
  });

  test("webhooks: only the listed hosts (a port, a sub-domain wildcard), never the cloud metadata address", async () => {
    await start({ BATON_WEBHOOK_ALLOWED_HOSTS: "hooks.example.com:443,*.chat.example.org" });
    const refused = await verdict({
      postRelease: [
        hook("ok-1", "https://hooks.example.com/released"),
        hook("ok-2", "https://team.chat.example.org/in"),
        hook("metadata", "http://169.254.169.254/latest/meta-data"),
        hook("other-port", "https://hooks.example.com:8443/x"),
        hook("parent", "https://chat.example.org/x"),
      ],
    });
    expect(refused.name === "ReleaseRejected" && refused.data.reasons.map((r) => r.path)).toEqual([
      "postRelease[2].webhook.url",
      "postRelease[3].webhook.url",
      "postRelease[4].webhook.url",
    ]);
    const planned = await verdict({ postRelease: [hook("ok-1", "https://hooks.example.com/released"), hook("ok-2", "https://team.chat.example.org/in")] });
    expect(planned.name).toBe("ReleasePlanned");
  });

  test("Secrets: only those bound to the app (label baton.dev/app, or BATON_SECRET_BINDINGS); each other one named with its rule", async () => {
    await start({ BATON_SECRET_BINDINGS: "shop/web:shared-db", BATON_WEBHOOK_ALLOWED_HOSTS: "hooks.example.com" });
    const refused = await verdict({
      postRelease: [
        sql("own", "web-db"),
        sql("shared", "shared-db"),
        sql("theirs", "billing-db"),
        sql("loose", "loose-db"),
        hook("notify", "https://hooks.example.com/x", "missing-token"),
      ],
    });
    expect(refused.name).toBe("ReleaseRejected");
    const reasons = refused.name === "ReleaseRejected" ? refused.data.reasons : [];
    const rule = "must name a Secret bound to the app (label baton.dev/app, or BATON_SECRET_BINDINGS)";
    expect(reasons.map((r) => [r.path, r.rule])).toEqual([
      ["postRelease[2].sql.connectionSecretRef.name", rule],
      ["postRelease[3].sql.connectionSecretRef.name", rule],
      ["postRelease[4].webhook.bearerTokenSecretRef.name", rule],
    ]);
    expect(reasons[0]?.message).toBe(
      'postRelease[2].sql.connectionSecretRef.name: Secret shop/billing-db is bound to app "billing", not "web"; a release may use only Secrets bound to its app: label it baton.dev/app=web, or grant it in BATON_SECRET_BINDINGS (shop/web:billing-db)',
    );
    expect(reasons[1]?.message).toMatch(/^postRelease\[3\]\.sql\.connectionSecretRef\.name: Secret shop\/loose-db is not bound to any app;/);
    expect(reasons[2]?.message).toMatch(/^postRelease\[4\]\.webhook\.bearerTokenSecretRef\.name: Secret shop\/missing-token does not exist;/);
    expect(await rt.store.lockHolder("shop", "web")).toBeNull();

    const planned = await verdict({ postRelease: [sql("own", "web-db"), sql("shared", "shared-db")] });
    expect(planned.name).toBe("ReleasePlanned");
  });
});
