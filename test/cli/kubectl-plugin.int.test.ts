import { execFile } from "node:child_process";
import { resolve } from "node:path";
import { promisify } from "node:util";
import { afterAll, beforeAll, describe, expect, test } from "vitest";
import { releaseEvents, specInput } from "@baton/contracts/testing";
import { emit } from "@baton/runtime";
import { openTestRuntime, type TestRuntime } from "@baton/runtime/testing";

// Issue 16: teams live in kubectl. The CLI installs a `kubectl-baton` executable beside `baton`
// (its package's bin), so `kubectl baton <command>` is `baton <command>` — found by kubectl's own
// plugin lookup on the PATH.

const ROOT = resolve(import.meta.dirname, "../..");
const run = promisify(execFile);
const kubectl = await run("kubectl", ["version", "--client"]).then(() => true, () => false);

let rt: TestRuntime;
beforeAll(async () => {
  rt = await openTestRuntime("kubectl-plugin");
  const ev = releaseEvents("kp-1", "web", "shop", Date.now());
  for (const e of [
    ev("ReleaseRequested", { spec: specInput({ promotion: "manual" }) as never }),
    ev("ReleasePlanned", { revision: 1, previousRevision: null, fence: 1 }),
    ev("PodsLive", { revision: 1, ready: 2, desired: 2 }),
    ev("ValidationPassed", { revision: 1, checks: [], warmup: null }),
  ]) {
    const r = await emit(rt, "test", e as never);
    if (!r.emitted) throw new Error(r.reason);
  }
});
afterAll(async () => {
  await rt?.cleanup();
});

describe.skipIf(!kubectl)("kubectl baton", () => {
  const env = () => ({ ...process.env, PATH: `${resolve(ROOT, "node_modules/.bin")}:${process.env.PATH}`, BATON_PREFIX: rt.config.BATON_PREFIX, NO_COLOR: "1" });

  test("is found by kubectl and names itself in its help", async () => {
    const { stdout } = await run("kubectl", ["plugin", "list"], { env: env() }).catch((e: { stdout: string }) => e);
    expect(stdout).toMatch(/node_modules\/\.bin\/kubectl-baton/);
    const help = await run("kubectl", ["baton", "--help"], { env: env() });
    expect(help.stdout).toMatch(/^Usage: kubectl baton \[options\] \[command\]/);
    expect(help.stdout).toContain("console");
  });

  test("runs baton's commands: status, then promote recorded as the person who asked", async () => {
    const status = await run("kubectl", ["baton", "status", "kp-1", "--json"], { env: env() });
    expect(JSON.parse(status.stdout)).toMatchObject({ releaseId: "kp-1", phase: "awaiting_promotion", app: "web", namespace: "shop" });
    const promote = await run("kubectl", ["baton", "promote", "kp-1", "--by", "kim", "--json"], { env: env() });
    expect(JSON.parse(promote.stdout)).toEqual({ releaseId: "kp-1", event: "PromotionApproved", accepted: true });
    const events = await rt.bus.releaseEvents("kp-1");
    expect(events.at(-1)).toMatchObject({ name: "PromotionApproved", source: "baton/cli", data: { by: "kim" } });
  });
});
