import { describe, expect, test } from "vitest";
import {
  EVENT_NAMES,
  PHASES,
  replay,
  transition,
  type AnyEvent,
  type EventName,
  type Phase,
  type ReleaseState,
} from "@baton/contracts";
import { releaseEvents, spec } from "@baton/contracts/testing";

const ev = releaseEvents();

function measurement(index: number, verdict: "successful" | "failed" | "inconclusive" | "error", value: string | null, phase: "prePromotion" | "postPromotion" = "prePromotion") {
  const message = verdict === "failed" ? `error-rate: ${value} did not pass result < 0.01` : `error-rate: ${value} passed result < 0.01`;
  return { phase, metric: "error-rate", index, value, condition: "success: result < 0.01", verdict, message };
}

const ERROR_RATE = { name: "error-rate", prometheus: { query: "q" }, successCondition: "result < 0.01" };

/** One sample of every event, with plausible data. */
const SAMPLE: { [N in EventName]: () => AnyEvent } = {
  ReleaseRequested: () => ev("ReleaseRequested", { spec: spec() }),
  ReleaseRejected: () => ev("ReleaseRejected", { reasons: [{ path: "app", rule: "r", message: "app: r" }] }),
  ReleasePlanned: () => ev("ReleasePlanned", { revision: 2, previousRevision: 1, fence: 7 }),
  PodsLive: () => ev("PodsLive", { revision: 2, ready: 2, desired: 2 }),
  PodsFailed: () => ev("PodsFailed", { revision: 2, ready: 0, desired: 2, reason: "timeout", pods: [] }),
  ValidationPassed: () => ev("ValidationPassed", { revision: 2, checks: [], warmup: null }),
  ValidationFailed: () =>
    ev("ValidationFailed", { revision: 2, checks: [], warmup: null, failures: [{ name: "health", expected: "200", got: "500" }] }),
  AnalysisStarted: () => ev("AnalysisStarted", { phase: "prePromotion", metrics: ["error-rate"] }),
  MeasurementDue: () => ev("MeasurementDue", { phase: "prePromotion", metric: "error-rate", index: 0 }, "prePromotion/error-rate/0"),
  MeasurementTaken: () => ev("MeasurementTaken", { ...measurement(0, "successful", "0.001"), phase: "prePromotion" }, "prePromotion/error-rate/0"),
  AnalysisPassed: () => ev("AnalysisPassed", { phase: "prePromotion", measurements: [] }),
  AnalysisFailed: () => ev("AnalysisFailed", { phase: "prePromotion", metric: "error-rate", reason: "error-rate: 0.2 did not pass result < 0.01", measurements: [] }),
  AnalysisInconclusive: () => ev("AnalysisInconclusive", { phase: "prePromotion", metrics: ["error-rate"], reason: "no data", measurements: [] }),
  PromotionApproved: () => ev("PromotionApproved", { by: "alice" }),
  AbortRequested: () => ev("AbortRequested", { by: "alice", reason: "bad" }),
  TrafficSwitched: () => ev("TrafficSwitched", { from: 1, to: 2, endpoints: 2 }),
  TrafficSwitchedBack: () => ev("TrafficSwitchedBack", { from: 2, to: 1, endpoints: 2 }),
  DrainDue: () => ev("DrainDue", { revision: 1 }),
  DrainStarted: () => ev("DrainStarted", { revision: 1, pods: 2, gracePeriodSeconds: 60 }),
  ShutdownDue: () => ev("ShutdownDue", { revision: 1 }),
  DeadlineExceeded: () => ev("DeadlineExceeded", { phase: "validating", deadlineSeconds: 300 }),
  ReleaseCompleted: () => ev("ReleaseCompleted", { revision: 2, previousRevision: 1, forcedPods: 0, postRelease: [] }),
  ReleaseRolledBack: () => ev("ReleaseRolledBack", { revision: 2, reason: "validation failed", failures: [] }),
  ReleaseFailed: () => ev("ReleaseFailed", { stage: "reaper", cause: "boom" }),
};

/**
 * The legal (phase, event) pairs, written out by hand from DESIGN.md: the reducer must accept
 * exactly these (for a release with a v1, promotion auto, nothing pending) and refuse the rest.
 */
const LEGAL: { [N in EventName]: readonly (Phase | "none")[] } = {
  ReleaseRequested: ["none"],
  ReleaseRejected: ["none", "requested"],
  ReleasePlanned: ["requested"],
  PodsLive: ["planned"],
  PodsFailed: ["planned"],
  ValidationPassed: ["validating"],
  ValidationFailed: ["validating"],
  AnalysisStarted: ["analyzing"], // the samples are of the pre-promotion analysis
  MeasurementDue: ["analyzing"],
  MeasurementTaken: ["analyzing"],
  AnalysisPassed: ["analyzing"],
  AnalysisFailed: ["analyzing"],
  AnalysisInconclusive: ["analyzing"],
  PromotionApproved: ["awaiting_promotion", "inconclusive"],
  AbortRequested: ["requested", "planned", "validating", "analyzing", "inconclusive", "awaiting_promotion", "promoting", "verifying", "switched"],
  TrafficSwitched: ["promoting"],
  TrafficSwitchedBack: [], // only while needsSwitchBack (tested below)
  DrainDue: ["switched"],
  DrainStarted: ["draining"],
  ShutdownDue: ["draining"],
  DeadlineExceeded: ["validating"], // the sample's deadline is for validating
  ReleaseCompleted: ["finalizing"], // from switched only on a first release (tested below)
  ReleaseRolledBack: ["rolling_back"],
  ReleaseFailed: ["requested", "planned", "validating", "analyzing", "inconclusive", "awaiting_promotion", "promoting", "verifying", "switched", "draining", "finalizing", "rolling_back"],
};

function stateIn(phase: Phase, over: Partial<ReleaseState> = {}): ReleaseState {
  const r = transition(undefined, SAMPLE.ReleaseRequested());
  if (r.kind !== "applied") throw new Error("setup");
  return { ...r.state, applied: [], phase, previousRevision: 1, revision: 2, fence: 7, ...over };
}

describe("transition table", () => {
  for (const name of EVENT_NAMES) {
    for (const phase of ["none", ...PHASES] as const) {
      const legal = LEGAL[name].includes(phase);
      test(`${name} in ${phase} is ${legal ? "applied" : "refused"}`, () => {
        const state = phase === "none" ? undefined : stateIn(phase);
        const r = transition(state, SAMPLE[name]());
        expect(r.kind).toBe(legal ? "applied" : "refused");
        if (r.kind === "refused") expect(r.reason).toMatch(new RegExp(`^${name} refused: `));
      });
    }
  }
});

function walk(events: AnyEvent[], start?: ReleaseState): ReleaseState {
  let s = start;
  for (const e of events) {
    const r = transition(s, e);
    if (r.kind === "refused") throw new Error(r.reason);
    s = r.state;
  }
  if (s === undefined) throw new Error("no events");
  return s;
}

describe("a release, one event at a time", () => {
  test("second release: every phase in order, timestamps from the events, lock fence kept", () => {
    const e = releaseEvents("rel-2");
    const events = [
      e("ReleaseRequested", { spec: spec() }),
      e("ReleasePlanned", { revision: 2, previousRevision: 1, fence: 3 }),
      e("PodsLive", { revision: 2, ready: 2, desired: 2 }),
      e("ValidationPassed", { revision: 2, checks: [], warmup: null }),
      e("TrafficSwitched", { from: 1, to: 2, endpoints: 2 }),
      e("DrainDue", { revision: 1 }),
      e("DrainStarted", { revision: 1, pods: 2, gracePeriodSeconds: 60 }),
      e("ShutdownDue", { revision: 1 }),
      e("ReleaseCompleted", { revision: 2, previousRevision: 1, forcedPods: 1, postRelease: [] }),
    ];
    const phases: Phase[] = [];
    let s: ReleaseState | undefined;
    for (const event of events) {
      s = walk([event], s);
      phases.push(s.phase);
    }
    expect(phases).toEqual(["requested", "planned", "validating", "promoting", "switched", "draining", "draining", "finalizing", "completed"]);
    expect(s?.fence).toBe(3);
    expect(s?.forcedPods).toBe(1);
    expect(s?.enteredAt.switched).toBe(events[4]?.time);
    expect(s?.applied).toEqual(events.map((x) => x.id));
  });

  test("first release: switched then completed, no drain", () => {
    const e = releaseEvents("rel-first");
    const s = walk([
      e("ReleaseRequested", { spec: spec() }),
      e("ReleasePlanned", { revision: 1, previousRevision: null, fence: 1 }),
      e("PodsLive", { revision: 1, ready: 2, desired: 2 }),
      e("ValidationPassed", { revision: 1, checks: [], warmup: null }),
      e("TrafficSwitched", { from: null, to: 1, endpoints: 2 }),
      e("ReleaseCompleted", { revision: 1, previousRevision: null, forcedPods: 0, postRelease: [] }),
    ]);
    expect(s.phase).toBe("completed");
    const drain = transition(stateIn("switched", { previousRevision: null }), SAMPLE.DrainDue());
    expect(drain).toEqual({ kind: "refused", reason: "DrainDue refused: no revision of the app was live before this one: there is no v1 to drain" });
  });

  test("manual promotion waits in awaiting_promotion until PromotionApproved", () => {
    const e = releaseEvents("rel-m");
    const s = walk([
      e("ReleaseRequested", { spec: spec({ promotion: "manual" }) }),
      e("ReleasePlanned", { revision: 2, previousRevision: 1, fence: 1 }),
      e("PodsLive", { revision: 2, ready: 2, desired: 2 }),
      e("ValidationPassed", { revision: 2, checks: [], warmup: null }),
    ]);
    expect(s.phase).toBe("awaiting_promotion");
    const early = transition(stateIn("validating"), SAMPLE.PromotionApproved());
    expect(early).toMatchObject({ kind: "refused", reason: expect.stringContaining("validation has not passed yet") });
    expect(walk([e("PromotionApproved", { by: "alice" })], s)).toMatchObject({ phase: "promoting", approvedBy: "alice" });
  });

  test("validation failure rolls back and keeps every failed check", () => {
    const failures = [
      { name: "health", expected: "status 200", got: "status 500" },
      { name: "version", expected: 'body contains "2.0.0"', got: '"1.0.0"' },
    ];
    const s = walk([SAMPLE.ValidationFailed(), SAMPLE.ReleaseRolledBack()], stateIn("validating"));
    expect(s.phase).toBe("rolled_back");
    const direct = walk([ev("ValidationFailed", { revision: 2, checks: [], warmup: null, failures })], stateIn("validating"));
    expect(direct.outcome?.failures).toEqual(failures);
  });

  test("abort before planning: nothing was created, so it ends rolled_back at once (issue 22, item 11)", () => {
    const aborted = walk([SAMPLE.AbortRequested()], stateIn("requested"));
    expect(aborted).toMatchObject({ phase: "rolled_back", needsSwitchBack: false, outcome: { reason: "aborted by alice: bad" } });
    expect(transition(aborted, SAMPLE.ReleasePlanned()).kind).toBe("refused");
  });

  test("the deadlines of switched and draining are recorded; the release stays for its stage to end it", () => {
    for (const phase of ["switched", "draining"] as const) {
      const late = walk([ev("DeadlineExceeded", { phase, deadlineSeconds: 300 })], stateIn(phase));
      expect(late).toMatchObject({ phase, deadlinesExceeded: [phase] });
      expect(walk([SAMPLE.ReleaseFailed()], late).phase).toBe("failed");
    }
  });

  test("warnings: the plan's are kept in the state; the validator's name the cause in the rollback's reason (issue 20)", () => {
    const noProbe = { code: "no_readiness_probe", message: "no readinessProbe: pods count as live as soon as they start; validation may reach an app that is still starting" };
    const starting = { code: "starting_pods", message: "503 from v2 0.2s after its pods went live, and they have no readinessProbe: …" };
    const planned = walk([ev("ReleasePlanned", { revision: 1, previousRevision: null, fence: 1, warnings: [noProbe] })], stateIn("requested"));
    expect(planned.warnings).toEqual([noProbe]);
    const failures = [{ name: "version", expected: "status 200", got: 'status 503, body "{\\"error\\":\\"starting\\"}"' }];
    const failed = walk([ev("PodsLive", { revision: 1, ready: 1, desired: 1 }), ev("ValidationFailed", { revision: 1, checks: [], warmup: null, failures, warnings: [starting] })], planned);
    expect(failed.warnings).toEqual([noProbe, starting]);
    expect(failed.outcome?.reason).toBe(`validation failed: version; ${starting.message}`);
    // without a warning, the reason is as before
    expect(walk([SAMPLE.ValidationFailed()], stateIn("validating")).outcome?.reason).toBe("validation failed: health");
  });

  test("abort after the switch: switch back first, then roll back", () => {
    const aborted = walk([SAMPLE.AbortRequested()], stateIn("switched"));
    expect(aborted).toMatchObject({ phase: "rolling_back", needsSwitchBack: true });
    expect(transition(aborted, SAMPLE.ReleaseRolledBack())).toMatchObject({
      kind: "refused",
      reason: expect.stringContaining("not been switched back"),
    });
    const back = walk([SAMPLE.TrafficSwitchedBack(), SAMPLE.ReleaseRolledBack()], aborted);
    expect(back.phase).toBe("rolled_back");
  });

  test("the rolling-back deadline passing mid switch-back keeps the duty to switch back and the abort's cause", () => {
    const aborted = walk([SAMPLE.AbortRequested()], stateIn("switched"));
    const late = walk([ev("DeadlineExceeded", { phase: "rolling_back", deadlineSeconds: 300 })], aborted);
    expect(late).toMatchObject({ phase: "rolling_back", needsSwitchBack: true, deadlinesExceeded: ["rolling_back"] });
    expect(late.outcome).toEqual(aborted.outcome);
    expect(transition(late, SAMPLE.ReleaseRolledBack()).kind).toBe("refused");
  });

  test("abort once v1 is shutting down is refused with the reason", () => {
    for (const phase of ["draining", "finalizing"] as const) {
      expect(transition(stateIn(phase), SAMPLE.AbortRequested())).toEqual({
        kind: "refused",
        reason: `AbortRequested refused: v1 is already shutting down (phase ${phase}); production stays on v2`,
      });
    }
  });

  test("a missed pods-live deadline: PodsFailed, and a late PodsLive changes nothing", () => {
    const timedOut = walk([ev("DeadlineExceeded", { phase: "planned", deadlineSeconds: 300 })], stateIn("planned"));
    expect(timedOut.phase).toBe("planned");
    expect(transition(timedOut, SAMPLE.PodsLive()).kind).toBe("refused");
    expect(walk([SAMPLE.PodsFailed()], timedOut).phase).toBe("rolling_back");
  });

  test("a missed promotion deadline rolls back, switching back when production may have moved", () => {
    const s = walk([ev("DeadlineExceeded", { phase: "promoting", deadlineSeconds: 120 })], stateIn("promoting"));
    expect(s).toMatchObject({ phase: "rolling_back", needsSwitchBack: true });
    expect(s.outcome?.failures[0]?.name).toBe("promoting-deadline");
  });

  test("a stale deadline changes nothing", () => {
    const r = transition(stateIn("switched"), ev("DeadlineExceeded", { phase: "validating", deadlineSeconds: 300 }));
    expect(r).toEqual({ kind: "refused", reason: "DeadlineExceeded refused: stale deadline: it was set for validating, the release is switched" });
  });

  test("an event applied twice changes nothing; a late event after the end is refused", () => {
    const s = stateIn("validating");
    const passed = SAMPLE.ValidationPassed();
    const once = walk([passed], s);
    expect(transition(once, passed)).toEqual({ kind: "duplicate", state: once });
    const done = walk([SAMPLE.TrafficSwitched(), SAMPLE.ReleaseFailed()], once);
    expect(transition(done, SAMPLE.DrainDue())).toMatchObject({ kind: "refused", reason: expect.stringContaining("already ended (failed)") });
  });

  test("replay rebuilds the same state and flags refused events", () => {
    const e = releaseEvents("rel-r");
    const events: AnyEvent[] = [
      e("ReleaseRequested", { spec: spec() }),
      e("ReleasePlanned", { revision: 2, previousRevision: 1, fence: 1 }),
      e("AbortRequested", { by: "bob", reason: "wrong image" }),
      e("PodsLive", { revision: 2, ready: 2, desired: 2 }),
      e("ReleaseRolledBack", { revision: 2, reason: "aborted", failures: [] }),
    ];
    const r = replay(events);
    expect(r.steps.map((x) => x.result)).toEqual(["applied", "applied", "applied", "refused", "applied"]);
    expect(r.state?.phase).toBe("rolled_back");
    expect(r.state?.abort).toEqual({ by: "bob", reason: "wrong image" });
  });
});

describe("analysis (issue 14)", () => {
  const withAnalysis = (analysis: Record<string, unknown>, extra: Record<string, unknown> = {}) => spec({ analysis, ...extra } as never);

  function upToSwitch(e: ReturnType<typeof releaseEvents>, analysis: Record<string, unknown>, extra: Record<string, unknown> = {}): AnyEvent[] {
    return [
      e("ReleaseRequested", { spec: withAnalysis(analysis, extra) }),
      e("ReleasePlanned", { revision: 2, previousRevision: 1, fence: 3 }),
      e("PodsLive", { revision: 2, ready: 2, desired: 2 }),
      e("ValidationPassed", { revision: 2, checks: [], warmup: null }),
    ];
  }

  test("pre-promotion: analyzing, every measurement recorded, passed → promoting; the phases in order", () => {
    const e = releaseEvents("rel-a");
    const phases: Phase[] = [];
    let s: ReleaseState | undefined;
    for (const event of [
      ...upToSwitch(e, { prePromotion: [ERROR_RATE] }),
      e("AnalysisStarted", { phase: "prePromotion", metrics: ["error-rate"] }),
      e("MeasurementDue", { phase: "prePromotion", metric: "error-rate", index: 0 }, "prePromotion/error-rate/0"),
      e("MeasurementTaken", measurement(0, "successful", "0.001"), "prePromotion/error-rate/0"),
      e("AnalysisPassed", { phase: "prePromotion", measurements: [measurement(0, "successful", "0.001")] }),
      e("TrafficSwitched", { from: 1, to: 2, endpoints: 2 }),
    ]) {
      s = walk([event], s);
      phases.push(s.phase);
    }
    expect(phases).toEqual(["requested", "planned", "validating", "analyzing", "analyzing", "analyzing", "analyzing", "promoting", "switched"]);
    expect(s?.analysis?.prePromotion).toMatchObject({ verdict: "passed", measurements: [{ index: 0, value: "0.001", verdict: "successful" }] });
    expect(s?.analysis?.postPromotion).toBeNull();
  });

  test("pre-promotion failure rolls back without a switch back; the reason states the value against the condition", () => {
    const e = releaseEvents("rel-f");
    const reason = "error-rate: 0.2 did not pass result < 0.01";
    const s = walk([
      ...upToSwitch(e, { prePromotion: [ERROR_RATE] }),
      e("MeasurementTaken", measurement(0, "failed", "0.2"), "prePromotion/error-rate/0"),
      e("AnalysisFailed", { phase: "prePromotion", metric: "error-rate", reason, measurements: [measurement(0, "failed", "0.2")] }),
    ]);
    expect(s).toMatchObject({ phase: "rolling_back", needsSwitchBack: false, outcome: { reason, stage: "validator" } });
    expect(s.outcome?.failures).toEqual([{ name: "error-rate", expected: "success: result < 0.01", got: reason }]);
    expect(walk([e("ReleaseRolledBack", { revision: 2, reason, failures: [] })], s)).toMatchObject({ phase: "rolled_back", outcome: { reason } });
  });

  test("post-promotion: TrafficSwitched → verifying; passed → switched (the shutdown delay starts then); failed → switch back first", () => {
    const e = releaseEvents("rel-p");
    const verifying = walk([...upToSwitch(e, { postPromotion: [ERROR_RATE] }), e("TrafficSwitched", { from: 1, to: 2, endpoints: 2 })]);
    expect(verifying.phase).toBe("verifying");
    expect(transition(verifying, e("DrainDue", { revision: 1 })).kind).toBe("refused");
    const passed = walk([e("AnalysisPassed", { phase: "postPromotion", measurements: [] })], verifying);
    expect(passed.phase).toBe("switched");
    expect(passed.enteredAt.switched).not.toBe(verifying.enteredAt.verifying);

    const failed = walk([e("AnalysisFailed", { phase: "postPromotion", metric: "error-rate", reason: "error-rate: 0.031 did not pass result < 0.01", measurements: [] })], verifying);
    expect(failed).toMatchObject({ phase: "rolling_back", needsSwitchBack: true, outcome: { reason: "error-rate: 0.031 did not pass result < 0.01" } });
    expect(transition(failed, e("ReleaseRolledBack", { revision: 2, reason: "x", failures: [] })).kind).toBe("refused");
    expect(walk([e("TrafficSwitchedBack", { from: 2, to: 1, endpoints: 2 }), e("ReleaseRolledBack", { revision: 2, reason: "x", failures: [] })], failed).phase).toBe("rolled_back");
  });

  test("a first release has no v1 to switch back to: no post-promotion analysis, switched as before", () => {
    const e = releaseEvents("rel-first-a");
    const s = walk([
      e("ReleaseRequested", { spec: withAnalysis({ postPromotion: [ERROR_RATE] }) }),
      e("ReleasePlanned", { revision: 1, previousRevision: null, fence: 1 }),
      e("PodsLive", { revision: 1, ready: 2, desired: 2 }),
      e("ValidationPassed", { revision: 1, checks: [], warmup: null }),
      e("TrafficSwitched", { from: null, to: 1, endpoints: 2 }),
    ]);
    expect(s.phase).toBe("switched");
  });

  test("inconclusive waits for a person: promote goes on (to promoting before the switch, switched after), abort rolls back", () => {
    const e = releaseEvents("rel-i");
    const pre = walk([...upToSwitch(e, { prePromotion: [ERROR_RATE] }), e("AnalysisInconclusive", { phase: "prePromotion", metrics: ["error-rate"], reason: "no data", measurements: [] })]);
    expect(pre.phase).toBe("inconclusive");
    expect(walk([e("PromotionApproved", { by: "alice" })], pre).phase).toBe("promoting");
    expect(walk([e("AbortRequested", { by: "alice", reason: "no" })], pre)).toMatchObject({ phase: "rolling_back", needsSwitchBack: false });

    const e2 = releaseEvents("rel-i2");
    const post = walk([
      ...upToSwitch(e2, { postPromotion: [ERROR_RATE] }),
      e2("TrafficSwitched", { from: 1, to: 2, endpoints: 2 }),
      e2("AnalysisInconclusive", { phase: "postPromotion", metrics: ["error-rate"], reason: "no data", measurements: [] }),
    ]);
    expect(post.phase).toBe("inconclusive");
    expect(walk([e2("PromotionApproved", { by: "alice" })], post).phase).toBe("switched");
    expect(walk([e2("AbortRequested", { by: "alice", reason: "no" })], post)).toMatchObject({ phase: "rolling_back", needsSwitchBack: true });
    // its deadline rolls back too, switching production back
    expect(walk([e2("DeadlineExceeded", { phase: "inconclusive", deadlineSeconds: 3600 })], post)).toMatchObject({ phase: "rolling_back", needsSwitchBack: true });
  });

  test("the analyzing and verifying deadlines roll back; verifying's switches back", () => {
    const a = walk([ev("DeadlineExceeded", { phase: "analyzing", deadlineSeconds: 200 })], stateIn("analyzing"));
    expect(a).toMatchObject({ phase: "rolling_back", needsSwitchBack: false, outcome: { reason: "analyzing did not finish within 200s" } });
    const v = walk([ev("DeadlineExceeded", { phase: "verifying", deadlineSeconds: 200 })], stateIn("verifying"));
    expect(v).toMatchObject({ phase: "rolling_back", needsSwitchBack: true });
  });

  test("a measurement of the other analysis, or after the analysis ended, is refused", () => {
    const post = ev("MeasurementTaken", measurement(0, "successful", "0", "postPromotion"), "postPromotion/error-rate/0");
    expect(transition(stateIn("analyzing"), post)).toMatchObject({ kind: "refused", reason: expect.stringContaining("belongs to the postPromotion analysis") });
    expect(transition(stateIn("promoting"), SAMPLE.MeasurementDue()).kind).toBe("refused");
  });

  test("without analysis, ValidationPassed and TrafficSwitched lead where they always did", () => {
    expect(walk([SAMPLE.ValidationPassed()], stateIn("validating")).phase).toBe("promoting");
    expect(walk([SAMPLE.TrafficSwitched()], stateIn("promoting")).phase).toBe("switched");
  });
});
