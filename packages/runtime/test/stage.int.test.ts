import { afterEach, beforeEach, describe, expect, test } from "vitest";
import { spec } from "@baton/contracts/testing";
import { emit, eventOf, startStage, type RunningStage, type StageDefinition } from "@baton/runtime";
import { openTestRuntime, waitFor, type TestRuntime } from "@baton/runtime/testing";

let rt: TestRuntime;
let stage: RunningStage | undefined;
beforeEach(async () => {
  rt = await openTestRuntime();
});
afterEach(async () => {
  await stage?.stop();
  stage = undefined;
  await rt.cleanup();
});

const release = { releaseId: "rel-s", app: "web", namespace: "shop" };

async function planned(): Promise<void> {
  await emit(rt, "test", eventOf(rt, "intake", release, "ReleaseRequested", { spec: spec({ validation: { timeoutSeconds: 1 } }) }));
  await emit(rt, "test", eventOf(rt, "planner", release, "ReleasePlanned", { revision: 2, previousRevision: 1, fence: 1 }));
}

describe("a stage on the real bus", () => {
  test("the handler runs once per event, emits the next, and a late duplicate changes nothing", async () => {
    const calls: string[] = [];
    const def: StageDefinition = {
      name: "validator",
      handlers: {
        PodsLive: async (ctx) => {
          calls.push(ctx.event.id);
          await ctx.emit("ValidationPassed", { revision: 2, checks: [], warmup: null });
        },
      },
    };
    stage = await startStage(def, rt);
    await planned();
    const live = eventOf(rt, "pod-manager", release, "PodsLive", { revision: 2, ready: 2, desired: 2 });
    await emit(rt, "pod-manager", live);
    await waitFor("promoting", async () => (await rt.store.get("rel-s"))?.state.phase === "promoting");
    // The same event again, republished after the dedup window (simulated by a new stream message): no second run.
    await rt.bus.publishRaw(rt.bus.subjects.event("PodsLive", "shop", "web", "rel-s"), JSON.stringify({ ...live, name: undefined }), "other-id");
    await new Promise((r) => setTimeout(r, 300));
    expect(calls).toEqual(["rel-s:pods_live"]);
    // the deadlines of the phases it left on time are cancelled: only promoting's is pending
    expect(await rt.timers.pending()).toBe(1);
    const events = (await rt.bus.releaseEvents("rel-s")).map((e) => e.name);
    expect(events).toEqual(["ReleaseRequested", "ReleasePlanned", "PodsLive", "ValidationPassed", "PodsLive"]);
  });

  test("entering a phase with a deadline arms it: a validator that never answers leads to DeadlineExceeded and rollback", async () => {
    const { startTimerPump } = await import("@baton/runtime");
    const pump = startTimerPump(rt, { pollMs: 5 });
    const seen: string[] = [];
    stage = await startStage({ name: "pod-manager", handlers: { DeadlineExceeded: async (ctx) => void seen.push(ctx.event.data.phase) } }, rt);
    try {
      await planned();
      await emit(rt, "pod-manager", eventOf(rt, "pod-manager", release, "PodsLive", { revision: 2, ready: 2, desired: 2 }));
      const state = await waitFor("rolling_back", async () => {
        const s = (await rt.store.get("rel-s"))?.state;
        return s?.phase === "rolling_back" ? s : undefined;
      }, 5000);
      expect(state.outcome?.failures).toEqual([{ name: "validating-deadline", expected: "done within 1s", got: "still waiting" }]);
      expect(state.lastEvent).toBe("DeadlineExceeded");
      // the state is stored before the handler runs (arming rolling_back's deadline in between)
      await waitFor("the pod-manager's handler", async () => seen.length > 0);
      expect(seen).toEqual(["validating"]);
    } finally {
      await pump.stop();
    }
  });
});
