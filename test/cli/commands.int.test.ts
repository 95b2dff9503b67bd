import { mkdtemp, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, test } from "vitest";
import { startBaton, type Baton } from "../harness.js";
import { baton } from "./run-cli.js";

// Issue 6: each `baton` command as a person or a script runs it — a separate process, against a
// running system (the test cluster + all five stages), its --json output parsed and checked.

const NO_PROBE = 'no readinessProbe: pods count as live as soon as they start; validation may reach an app that is still starting (container "app", port 8080)';
const lines = (out: string) => out.trim().split("\n").filter(Boolean).map((l) => JSON.parse(l) as Record<string, unknown>);

let b: Baton;
let env: Record<string, string>;
let dir: string;
beforeAll(async () => {
  b = await startBaton({ logLevel: "warn" });
  env = { BATON_NATS_URL: b.config.BATON_NATS_URL, BATON_REDIS_URL: b.config.BATON_REDIS_URL, BATON_PREFIX: b.config.BATON_PREFIX };
  dir = await mkdtemp(join(tmpdir(), "baton-cli-"));
});
afterAll(async () => {
  await b?.stop();
});

describe("the baton command against a running system", () => {
  test("release -f --watch --json, status, list, events, replay: what scripts read", async () => {
    const spec = join(dir, "web.yaml");
    await writeFile(spec, ["app: web", `namespace: ${b.ns}`, "image: baton.dev/demo-app:1.0.0", "replicas: 2", "validation:", "  tests:", "    - { name: version, request: { path: /version }, expect: { bodyContains: '1.0.0' } }", ""].join("\n"));
    const first = await baton(["release", "-f", spec, "--watch", "--json"], env);
    expect(first.code, first.stderr).toBe(0);
    // --watch --json: the release's events as they happen, one CloudEvent a line
    const watched = lines(first.stdout);
    const id = String((watched[0]?.data as { releaseId: string }).releaseId);
    expect(watched.map((e) => e.type)).toEqual([
      "dev.baton.release.requested.v1",
      "dev.baton.release.planned.v1",
      "dev.baton.release.pods_live.v1",
      "dev.baton.release.validation_passed.v1",
      "dev.baton.release.traffic_switched.v1",
      "dev.baton.release.completed.v1",
    ]);

    const status = await baton(["status", id, "--json"], env);
    expect(status.code).toBe(0);
    const s = JSON.parse(status.stdout) as Record<string, unknown>;
    expect(s).toMatchObject({ releaseId: id, app: "web", namespace: b.ns, phase: "completed", revision: 1 });
    expect(Object.keys(s.timestamps as object)).toEqual(["requested", "planned", "validating", "promoting", "switched", "completed"]);
    // its pods have no readinessProbe: the plan's warning (shown in text by the next test)
    expect(s.warnings).toEqual([{ code: "no_readiness_probe", message: NO_PROBE }]);

    // flags override the file; the second release replaces v1
    const second = await baton(["release", "-f", spec, "--image", "baton.dev/demo-app:2.0.0", "--shutdown-delay", "0", "--grace-period", "0", "--json"], env);
    expect(second.code, second.stderr).toBe(0);
    const secondId = String((JSON.parse(second.stdout) as { releaseId: string }).releaseId);
    const end = await b.waitForEnd(secondId);
    expect(end.phase).toBe("rolled_back"); // its test still expects 1.0.0: validation fails, as the file says
    expect(end.outcome?.failures[0]).toMatchObject({ name: "version" });

    const list = await baton(["list", "--json"], env);
    expect(lines(list.stdout).map((r) => [r.releaseId, r.phase])).toEqual([
      [secondId, "rolled_back"],
      [id, "completed"],
    ]);

    const events = await baton(["events", secondId, "--json"], env);
    expect(lines(events.stdout).map((e) => e.type)).toEqual([
      "dev.baton.release.requested.v1",
      "dev.baton.release.planned.v1",
      "dev.baton.release.pods_live.v1",
      "dev.baton.release.validation_failed.v1",
      "dev.baton.release.rolled_back.v1",
    ]);

    const replay = await baton(["replay", secondId, "--json"], env);
    expect(replay.code).toBe(0);
    const out = lines(replay.stdout);
    const verdict = out.at(-1) as { differences: string[]; replayed: { phase: string }; stored: { phase: string } };
    expect(verdict.differences).toEqual([]);
    expect(verdict.replayed.phase).toBe("rolled_back");
    expect(out.slice(0, -1).map((x) => [x.result, x.phase])).toEqual([
      ["applied", "requested"],
      ["applied", "planned"],
      ["applied", "validating"],
      ["applied", "rolling_back"],
      ["applied", "rolled_back"],
    ]);

    const timeline = await baton(["events", secondId], env);
    expect(timeline.stdout).toMatch(/ValidationFailed\s+version: expected/);
  });

  test("status and events show the plan's warning (issue 20)", async () => {
    const first = (await b.rt.store.list(20)).find((x) => x.app === "web" && x.revision === 1);
    expect(first).toBeDefined();
    expect((await baton(["status", first!.releaseId], env)).stdout).toContain(`warning   ${NO_PROBE}\n`);
    expect((await baton(["events", first!.releaseId], env)).stdout).toMatch(/ReleasePlanned\s+revision 1 \(first live revision\); warning: no readinessProbe: pods count as live/);
  });

  test("exit codes scripts rely on: 3 rolled back, 4 rejected, 1 for a refused abort or an unknown release, 2 when NATS is unreachable", async () => {
    const spec = join(dir, "api.json");
    await writeFile(spec, JSON.stringify({ app: "api", namespace: b.ns, image: "registry.example.com/api:1", podsLiveTimeoutSeconds: 1 }));
    const rolledBack = await baton(["release", "-f", spec, "--watch"], env);
    expect(rolledBack.code, rolledBack.stderr).toBe(3);
    expect(rolledBack.stdout).toMatch(/rolled_back — 0 of 1 pods Ready/);

    const rejected = await baton(["release", "--app", "api", "-n", "kube-system", "--image", "baton.dev/demo-app:1.0.0", "--watch"], env);
    expect(rejected.code).toBe(4);
    expect(rejected.stderr).toMatch(/namespace: /);

    const done = (await b.rt.store.list(10)).find((x) => x.phase === "completed");
    expect(done).toBeDefined();
    const abort = await baton(["abort", done!.releaseId, "--json"], env);
    expect(abort.code).toBe(1);
    expect(JSON.parse(abort.stdout)).toMatchObject({ accepted: false, reason: expect.stringContaining("already ended (completed)") });

    const unknown = await baton(["promote", "no-such-release"], env);
    expect(unknown.code).toBe(1);
    expect(unknown.stderr).toBe("baton: no release no-such-release\n");

    const unreachable = await baton(["list"], { ...env, BATON_NATS_URL: "nats://127.0.0.1:1" });
    expect(unreachable.code).toBe(2);
    expect(unreachable.stderr).toMatch(/^baton: cannot reach NATS at nats:\/\/127.0.0.1:1 \(BATON_NATS_URL\)/);
    expect(unreachable.stderr).not.toMatch(/\n\s+at /); // no stack trace
  });

  test("provision creates the streams for a fresh prefix with the replicas asked for, and is safe to repeat", async () => {
    const fresh = { ...env, BATON_PREFIX: `${env.BATON_PREFIX}p`, BATON_STREAM_REPLICAS: "1" };
    for (let i = 0; i < 2; i++) {
      const run = await baton(["provision", "--json"], fresh);
      expect(run.code, run.stderr).toBe(0);
      expect(lines(run.stdout).map((r) => [r.stream, r.replicas, r.storage])).toEqual([
        [`${fresh.BATON_PREFIX.toUpperCase()}_EVENTS`, 1, "file"],
        [`${fresh.BATON_PREFIX.toUpperCase()}_DLQ`, 1, "file"],
      ]);
    }
    for (const name of ["EVENTS", "DLQ"]) await b.rt.bus.jsm.streams.delete(`${fresh.BATON_PREFIX.toUpperCase()}_${name}`);
  });

  test("dlq --json lists a parked message with its error", async () => {
    await b.rt.bus.publishRaw(b.rt.bus.subjects.event("PodsLive", b.ns, "web", "garbage-1"), "not json", "garbage-1");
    let letters: Record<string, unknown>[] = [];
    for (let i = 0; i < 50 && letters.length === 0; i++) {
      letters = lines((await baton(["dlq", "--json"], env)).stdout);
      if (letters.length === 0) await new Promise((r) => setTimeout(r, 200));
    }
    expect(letters).toHaveLength(1);
    expect(letters[0]).toMatchObject({ stage: "validator", event: "PodsLive", kind: "terminal" });
  });
});
