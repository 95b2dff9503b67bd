import { mkdtemp, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, afterEach, beforeAll, describe, expect, test } from "vitest";
import { waitFor } from "@baton/runtime/testing";
import { startBaton, type Baton } from "../harness.js";
import { runInTerminal, type Terminal } from "./pty.js";

// Issue 20: `baton release --watch` in a terminal of a fixed width, against a running system,
// judged by what a person sees (a terminal emulator fed with the command's output). The live
// display redraws in place by counting rows: a line wider than the terminal used to wrap, the count
// went wrong, and earlier frames stayed on screen stacked above the new one. Now, while live, each
// line is cut to the width with an ellipsis; the full text is printed when the release ends; a
// resize redraws at the new width.

const NO_PROBE = "no readinessProbe: pods count as live as soon as they start; validation may reach an app that is still starting";

let b: Baton;
let env: Record<string, string>;
let dir: string;
let term: Terminal | undefined;
beforeAll(async () => {
  b = await startBaton({ logLevel: "warn" });
  env = { BATON_NATS_URL: b.config.BATON_NATS_URL, BATON_REDIS_URL: b.config.BATON_REDIS_URL, BATON_PREFIX: b.config.BATON_PREFIX };
  dir = await mkdtemp(join(tmpdir(), "baton-live-"));
});
afterEach(() => {
  term?.kill();
  term = undefined;
});
afterAll(async () => {
  await b?.stop();
});

async function specFile(name: string, lines: string[]): Promise<string> {
  const file = join(dir, `${name}.yaml`);
  await writeFile(file, `${lines.join("\n")}\n`);
  return file;
}

const headers = (lines: string[]) => lines.filter((l) => /^release \S+/.test(l));
const planRows = (lines: string[]) => lines.filter((l) => /^\s+\S plan\s/.test(l));

describe("the live display in a terminal", () => {
  test("120 columns, then 70 (a terminal that re-wraps on resize): one frame at a time, long lines cut while live, the full text at the end", async () => {
    // Given a first release with no readinessProbe (its warning line is ~150 columns wide) that
    // waits for a manual promotion, watched in a 120-column terminal that re-wraps its lines when
    // it is resized (as GNOME Terminal, iTerm2 or tmux do: the hardest case for a redraw)
    const spec = await specFile("wide", ["app: wide", `namespace: ${b.ns}`, "image: baton.dev/demo-app:1.0.0", "promotion: manual", "validation:", "  tests:", "    - { name: version, request: { path: /version } }"]);
    term = await runInTerminal(["release", "-f", spec, "--watch"], { cols: 120, rows: 40, reflow: true }, env);
    const t = term;
    await waitFor("the release waiting for promotion", () => t.screen.lines().some((l) => l.includes("waiting: baton promote")), 60_000, 50);

    // Then: one frame (one header, one plan row), every line within the width, the warning cut
    let lines = t.screen.lines();
    expect(headers(lines)).toHaveLength(1);
    expect(planRows(lines)).toHaveLength(1);
    expect(Math.max(...lines.map((l) => l.length))).toBeLessThanOrEqual(119);
    const cutWarning = lines.find((l) => l.includes("! warning: no readinessProbe"));
    expect(cutWarning).toMatch(/…$/);
    expect(t.screen.wrapped.size).toBe(0);

    // When the terminal becomes 70 columns wide (the frame's lines of 70+ columns now take 2 rows)
    expect(lines.filter((l) => l.length > 70).length).toBeGreaterThan(0);
    await t.resize(70);
    await waitFor("a redraw at 70 columns", () => {
      const now = t.screen.screen();
      return now.every((l) => l.length <= 69) && now.some((l) => /! warning: .*…$/.test(l)) && now.some((l) => l.includes("waiting: baton promote")) ? true : undefined;
    }, 10_000, 25);
    // Then still one frame, nothing stacked above it
    lines = t.screen.lines();
    expect(headers(lines)).toHaveLength(1);
    expect(planRows(lines)).toHaveLength(1);

    // When it is promoted and completes
    const id = /^release (\S+)/.exec(headers(lines)[0]!)![1]!;
    expect(await b.control(id, "PromotionApproved")).toMatchObject({ accepted: true });
    expect(await t.exited).toBe(0);

    // Then the last frame is written in full: the whole warning (wrapped by the terminal), once
    expect(headers(t.screen.lines())).toHaveLength(1);
    expect(planRows(t.screen.lines())).toHaveLength(1);
    const logical = t.screen.logicalLines();
    expect(logical.filter((l) => l.includes(`! warning: ${NO_PROBE} (container "app", port 8080)`))).toHaveLength(1);
    expect(logical).toContain(`${id}: completed`);
  });

  test("80 columns: a failure wider than the terminal does not stack frames, and is printed in full at the end", async () => {
    // Given a release whose check fails with a long message (the app echoes a long path in its body)
    const path = `/catalog/${"x".repeat(150)}`;
    const spec = await specFile("narrow", [
      "app: narrow",
      `namespace: ${b.ns}`,
      "image: baton.dev/demo-app:1.0.0",
      "template: { spec: { containers: [ { name: app, readinessProbe: { httpGet: { path: /healthz, port: 8080 } } } ] } }",
      "validation:",
      "  tests:",
      `    - { name: catalog, request: { path: "${path}" }, expect: { bodyContains: "not in the body" } }`,
    ]);
    // When it is watched in an 80-column terminal to its end
    term = await runInTerminal(["release", "-f", spec, "--watch"], { cols: 80, rows: 40 }, env);
    expect(await term.exited).toBe(3);

    // Then a person sees one frame (nothing stacked: one header row, one plan row) and the
    // failure's whole text (rows joined where the terminal wrapped them)
    const rows = term.screen.lines();
    expect(headers(rows)).toHaveLength(1);
    expect(planRows(rows)).toHaveLength(1);
    const logical = term.screen.logicalLines();
    const id = /^release (\S+)/.exec(headers(rows)[0]!)![1]!;
    const failed = (await b.events(id)).find((e) => e.name === "ValidationFailed");
    const got = failed?.name === "ValidationFailed" ? failed.data.failures[0]!.got : "";
    expect(got.length).toBeGreaterThan(80);
    expect(logical.some((l) => l.includes(`catalog: expected status 200, body contains "not in the body", got ${got}`))).toBe(true);
    expect(logical.find((l) => l.startsWith(`${id}: rolled_back`))).toBeDefined();
  });
});
