import { spawn } from "node:child_process";
import { mkdtemp } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { describe, expect, test } from "vitest";
import { prometheusBinary } from "@baton/runtime/testing";

// Issue 6: the demo itself runs in CI — kube-sim and all stages in one process, v1, v2 under
// production traffic, v3 rolled back — and exits 0 only when all of it held. Issue 16: it prints
// its console's URL, and the console shows the releases (held up after the summary). Issue 14: a v4
// that turns bad after the switch is switched back by post-promotion analysis, shown live.

const ROOT = resolve(import.meta.dirname, "../..");

describe("the demo", () => {
  test("releases v1, v2 under production traffic, a failing v3 and a v4 switched back by its metrics; no failed request but v4's own; exit 0", async () => {
    const state = await mkdtemp(join(tmpdir(), "baton-demo-"));
    const prom = prometheusBinary();
    let shown: { releaseId: string; phase: string; version: string }[] = [];
    const run = await new Promise<{ code: number; out: string }>((done, fail) => {
      const child = spawn(process.execPath, ["--conditions=source", "--import", "tsx", join(ROOT, "packages/cli/src/main.ts"), "demo", "--hold"], {
        cwd: ROOT,
        // its own state folder, and the Prometheus scripts/test fetched into the usual one
        env: { ...process.env, BATON_STATE_DIR: state, ...(prom ? { BATON_TEST_PROMETHEUS: prom } : {}), NO_COLOR: "1" },
        stdio: ["ignore", "pipe", "pipe"],
      });
      let out = "";
      let asked = false;
      child.stdout.on("data", (c: Buffer) => {
        out += c.toString();
        const url = /^console: (http:\/\/127\.0\.0\.1:\d+)/m.exec(out)?.[1];
        if (url === undefined || asked || !/Ctrl-C to stop/.test(out)) return;
        asked = true;
        void fetch(`${url}/api/releases`)
          .then(async (r) => (shown = ((await r.json()) as { releases: typeof shown }).releases))
          .finally(() => child.kill("SIGTERM"));
      });
      child.stderr.on("data", (c: Buffer) => (out += c.toString()));
      child.on("error", fail);
      child.on("close", (code) => done({ code: code ?? -1, out }));
    });
    expect(run.code, run.out).toBe(0);
    expect(run.out).toMatch(/v1 \(first release\)\s+\S+\s+completed\s+completed/);
    expect(run.out).toMatch(/v2\s+\S+\s+completed\s+completed/);
    expect(run.out).toMatch(/v3 \(fails validation\)\s+\S+\s+rolled_back\s+rolled_back/);
    // v4: switched, then switched back when its measured error rate failed the condition
    expect(run.out).toMatch(/v4 \(turns bad after the switch\)\s+\S+\s+rolled_back\s+rolled_back\s+\S+\s+error-rate: 0\.\d+ did not pass result < 0\.05/);
    const requests = /production requests: (\d+) sent, (\d+) failed(?: \(.*answered by version: (\{.*\})\))?/.exec(run.out);
    expect(Number(requests?.[1])).toBeGreaterThan(500);
    // every failed request was answered 500 by v4 itself, before the switch-back
    expect(Number(requests?.[2])).toBeGreaterThan(0);
    expect(JSON.parse(requests?.[3] ?? "{}")).toEqual({ "4.0.0": Number(requests?.[2]) });
    expect(run.out).toMatch(/answered by version: 1\.0\.0: \d+, 2\.0\.0: \d+, 4\.0\.0: \d+/);
    expect(run.out).toContain("deployments left: web-2");
    expect(run.out).toContain("demo passed");
    expect(shown.map((r) => [r.version, r.phase])).toEqual([
      ["4.0.0", "rolled_back"],
      ["3.0.0", "rolled_back"],
      ["2.0.0", "completed"],
      ["1.0.0", "completed"],
    ]);
  }, 120_000);
});
