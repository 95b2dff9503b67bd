import { describe, expect, test } from "vitest";
import { replay, type AnyEvent } from "@baton/contracts";
import { releaseEvents, spec } from "@baton/contracts/testing";
import { analysisLines, statusView } from "../src/commands/read.js";
import { describeEvent } from "../src/describe.js";
import { ttyDisplay } from "../src/watch.js";

// Issue 14: `baton events`, `baton status` and `--watch` show every measurement, with the value
// against the condition, and where the release waits.

const measured = (index: number, verdict: "successful" | "failed", value: string) => ({
  phase: "postPromotion" as const,
  metric: "error-rate",
  index,
  value,
  condition: "success: result < 0.01",
  verdict,
  message: verdict === "failed" ? `error-rate: ${value} did not pass result < 0.01` : `error-rate: ${value} passed result < 0.01`,
});

function switchedBack(): AnyEvent[] {
  const e = releaseEvents("rel-a");
  const analysis = { postPromotion: [{ name: "error-rate", prometheus: { query: "q" }, successCondition: "result < 0.01", count: 3 }] };
  return [
    e("ReleaseRequested", { spec: spec({ analysis } as never) }),
    e("ReleasePlanned", { revision: 2, previousRevision: 1, fence: 1 }),
    e("PodsLive", { revision: 2, ready: 2, desired: 2 }),
    e("ValidationPassed", { revision: 2, checks: [], warmup: null }),
    e("TrafficSwitched", { from: 1, to: 2, endpoints: 2 }),
    e("AnalysisStarted", { phase: "postPromotion", metrics: ["error-rate"] }, "postPromotion"),
    e("MeasurementTaken", measured(0, "successful", "0.002"), "postPromotion/error-rate/0"),
    e("MeasurementTaken", measured(1, "failed", "0.031"), "postPromotion/error-rate/1"),
    e("AnalysisFailed", { phase: "postPromotion", metric: "error-rate", reason: "error-rate: 0.031 did not pass result < 0.01", measurements: [measured(0, "successful", "0.002"), measured(1, "failed", "0.031")] }, "postPromotion"),
    e("TrafficSwitchedBack", { from: 2, to: 1, endpoints: 2 }),
    e("ReleaseRolledBack", { revision: 2, reason: "error-rate: 0.031 did not pass result < 0.01", failures: [] }),
  ];
}

describe("analysis in the CLI", () => {
  test("events read with the verdict and the value against the condition", () => {
    const texts = switchedBack().map(describeEvent);
    expect(texts).toContain("postPromotion analysis: error-rate");
    expect(texts).toContain("FAILED error-rate: 0.031 did not pass result < 0.01");
    expect(texts).toContain("postPromotion analysis failed: error-rate: 0.031 did not pass result < 0.01");
  });

  test("status lists each analysis and its measurements; --json carries them", () => {
    const { state } = replay(switchedBack());
    if (state === undefined) throw new Error("no state");
    const lines = analysisLines(state).map((l) => l.replace(/\x1b\[[0-9;]*m/g, ""));
    expect(lines).toEqual([
      "analysis  postPromotion failed (2 measurements)",
      "  ✓ #1 error-rate: 0.002 passed result < 0.01",
      "  ✗ #2 error-rate: 0.031 did not pass result < 0.01",
    ]);
    expect(statusView(state).analysis?.postPromotion?.verdict).toBe("failed");
  });

  test("the live display shows the verification on production, its last measurement and the switch back", () => {
    let screen = "";
    const out = { columns: 200, rows: 40, write: (t: string) => ((screen += t), true), on: () => out, off: () => out };
    const display = ttyDisplay("rel-a", out as unknown as Parameters<typeof ttyDisplay>[1]);
    const events = switchedBack();
    for (let i = 0; i < events.length; i++) display.event(events[i] as AnyEvent, replay(events.slice(0, i + 1)).state);
    display.end();
    const text = screen.replace(/\x1b\[[0-9;?]*[A-Za-z]/g, "");
    expect(text).toMatch(/✗ verify on prod .*postPromotion analysis failed: error-rate: 0\.031 did not pass result < 0\.01/);
    expect(text).toMatch(/✓ roll back .*error-rate: 0\.031/);
    expect(text).not.toMatch(/[·✓✗] analysis /); // no pre-promotion row: the spec has none
  });
});
