import { execFile, spawn } from "node:child_process";
import { mkdtemp, readFile, writeFile } from "node:fs/promises";
import { homedir, tmpdir } from "node:os";
import { join } from "node:path";
import { promisify } from "node:util";
import { parse, stringify } from "yaml";
import { describe, expect, test } from "vitest";
import { createMetrics } from "@baton/runtime";

// Issue 21: Prometheus' own linter, `promtool check metrics`, reads what /metrics serves (every
// metric Baton registers, its own and the process metrics) and finds nothing to flag: no gauge
// named like a counter (`…_total`), no counter without `_total`, help on every metric.
// promtool comes with Debian's `prometheus` package (scripts/test installs it when missing).

/** promtool on the PATH, or where scripts/test puts it (scripts/lib.sh ensure_promtool). */
async function findPromtool(): Promise<string | undefined> {
  const fetched = join(process.env.BATON_STATE_DIR ?? join(homedir(), ".baton"), "tools/bin/promtool");
  for (const bin of ["promtool", fetched]) {
    if (await promisify(execFile)(bin, ["--version"]).then(() => true, () => false)) return bin;
  }
  return undefined;
}
const PROMTOOL = await findPromtool();
const SKIP_NOTE = "promtool is not installed (Debian package `prometheus`; scripts/test fetches it): NOT linted";

/** Runs `promtool check <what> [file]` with `input` on stdin; exit code and findings, one a line. */
function promtool(args: string[], input = ""): Promise<{ code: number; findings: string[] }> {
  return new Promise((done, fail) => {
    const child = spawn(PROMTOOL ?? "promtool", args, { stdio: ["pipe", "pipe", "pipe"] });
    let out = "";
    child.stdout.on("data", (c: Buffer) => (out += c.toString()));
    child.stderr.on("data", (c: Buffer) => (out += c.toString()));
    child.on("error", fail);
    child.on("close", (code) => done({ code: code ?? -1, findings: out.split("\n").filter(Boolean) }));
    child.stdin.end(input);
  });
}

describe("metric names", () => {
  test("promtool check metrics finds nothing in what /metrics serves", async (ctx) => {
    if (PROMTOOL === undefined) {
      console.warn(`SKIPPED metric-name lint: ${SKIP_NOTE}`);
      ctx.skip(SKIP_NOTE);
    }
    const m = createMetrics();
    // one series of each of Baton's own metrics, so each is linted with its labels and samples
    m.consumed.inc({ stage: "planner", event: "ReleaseRequested", outcome: "ack" });
    m.published.inc({ stage: "planner", event: "ReleasePlanned", outcome: "stored" });
    m.handlerSeconds.observe({ stage: "planner", event: "ReleaseRequested" }, 0.002);
    m.redeliveries.inc({ stage: "validator", event: "PodsLive" });
    m.deadLetters.inc({ stage: "validator", event: "PodsLive" });
    m.releases.inc({ outcome: "completed" });
    m.phaseSeconds.observe({ phase: "planned" }, 1.5);
    m.timerLatenessSeconds.observe(0.004);
    m.timersFired.inc();
    m.kubeRequests.inc({ verb: "get", resource: "services", result: "ok" });
    m.intake.inc({ result: "accepted" });
    m.postReleaseActivities.inc({ kind: "sql", result: "ok" });
    const text = await m.registry.metrics();
    expect(text).toContain("baton_events_consumed_total");
    expect(text).toContain("baton_process_cpu_seconds_total");
    const lint = await promtool(["check", "metrics"], text);
    expect(lint.findings).toEqual([]);
    expect(lint.code).toBe(0);
  });

  test("promtool check rules accepts the alert rules of deploy/grafana (unwrapped from the PrometheusRule)", async (ctx) => {
    if (PROMTOOL === undefined) {
      console.warn(`SKIPPED alert-rule check: ${SKIP_NOTE}`);
      ctx.skip(SKIP_NOTE);
    }
    const rule = parse(await readFile(join(import.meta.dirname, "../../../deploy/grafana/alerts.yaml"), "utf8")) as { spec: { groups: unknown[] } };
    const file = join(await mkdtemp(join(tmpdir(), "baton-rules-")), "rules.yaml");
    await writeFile(file, stringify({ groups: rule.spec.groups }));
    const check = await promtool(["check", "rules", file]);
    expect(check.code, check.findings.join("\n")).toBe(0);
    expect(check.findings.join("\n")).toMatch(/SUCCESS: \d+ rules found/);
  });

  test("the process metrics keep their per-type gauges (sum them for a total)", async () => {
    const names = new Set((await createMetrics().registry.getMetricsAsJSON()).map((x) => x.name));
    for (const n of ["baton_nodejs_active_handles", "baton_nodejs_active_requests", "baton_nodejs_active_resources"]) expect(names.has(n), n).toBe(true);
  });
});
