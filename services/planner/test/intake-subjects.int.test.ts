import { afterEach, beforeEach, describe, expect, test } from "vitest";
import { specInput } from "@baton/contracts/testing";
import { startServices, type ServiceHandle } from "@baton/runtime";
import { openTestRuntime, testConfig, waitFor, type TestRuntime } from "@baton/runtime/testing";
import { plannerService, type IntakeReply } from "../src/index.js";
import { startCluster, type Cluster } from "./cluster.js";

// Issue 22, item 3: who may release what is NATS' own permission on the intake subject, so the
// subject carries the namespace: `<prefix>.intake.<namespace>`. Given a planner, when a request
// arrives on a namespace's intake subject, then it may only release into that namespace; the
// plain `<prefix>.intake` (any namespace, for single-tenant installs) can be turned off.

let cluster: Cluster;
let rt: TestRuntime;
let handle: ServiceHandle;

beforeEach(async () => {
  cluster = await startCluster("team-a", "team-b");
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

async function request(subject: string, body: unknown): Promise<IntakeReply> {
  const m = await rt.bus.nc.request(subject, JSON.stringify(body), { timeout: 3000 });
  return m.json<IntakeReply>();
}

describe("intake subjects per namespace", () => {
  test("a request on <prefix>.intake.team-a releases into team-a, and only there", async () => {
    await start();
    const p = rt.config.BATON_PREFIX;

    const ok = await request(`${p}.intake.team-a`, specInput({ namespace: "team-a" }));
    expect(ok).toMatchObject({ ok: true });
    await waitFor("planned", async () => (await rt.store.get(ok.releaseId))?.state.phase === "planned");

    const other = await request(`${p}.intake.team-a`, specInput({ namespace: "team-b", app: "pay" }));
    expect(other).toMatchObject({
      ok: false,
      reasons: [{ path: "namespace", rule: `must be "team-a" (the namespace of the intake subject ${p}.intake.team-a)`, message: `namespace: must be "team-a" (the namespace of the intake subject ${p}.intake.team-a)` }],
    });
    expect(await rt.store.lockHolder("team-b", "pay")).toBeNull();

    const nested = await request(`${p}.intake.team-a.more`, specInput({ namespace: "team-a" }));
    expect(nested).toMatchObject({ ok: false, reasons: [{ path: "(subject)" }] });
  });

  test("the plain <prefix>.intake answers for any namespace by default, and not at all with BATON_PLAIN_INTAKE=false", async () => {
    await start({ BATON_PLAIN_INTAKE: "false" });
    const p = rt.config.BATON_PREFIX;
    await expect(request(`${p}.intake`, specInput({ namespace: "team-b" }))).rejects.toThrow(/no responders/i);
    expect(await request(`${p}.intake.team-b`, specInput({ namespace: "team-b" }))).toMatchObject({ ok: true });
  });
});
