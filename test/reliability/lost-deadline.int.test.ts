import { afterEach, describe, expect, test } from "vitest";
import { eventOf } from "@baton/runtime";
import { namespace, startFaulty, type Faulty } from "./faulty.js";

// A deadline lost between the state write and the timer (issue 22, item 6): the validator records
// ValidationPassed (the compare-and-set applies, the release is awaiting_promotion) and dies before
// it adds the phase's deadline timer. The redeliveries see a duplicate; the deadline must still be
// there, so the release rolls back at promotionTimeoutSeconds instead of waiting forever.

let f: Faulty | undefined;
afterEach(async () => {
  await f?.stop();
  f = undefined;
});

describe("a deadline whose timer was never added", () => {
  test("the validator dies between recording ValidationPassed and adding the awaiting_promotion deadline: the release still rolls back at promotionTimeoutSeconds", async () => {
    // Given no validator runs: the test plays it
    f = await startFaulty({ stages: ["planner", "pod-manager", "traffic-switcher"] });
    await namespace(f);
    const id = await f.releaseOk({ image: "baton.dev/demo-app:1.0.0", replicas: 1, promotion: "manual", promotionTimeoutSeconds: 2 });
    const validating = await f.waitForPhase(id, "validating", 20_000);
    // When "the validator" publishes ValidationPassed and applies it to the state — and dies before the timer
    const passed = eventOf(f.rt, "validator", { releaseId: id, app: "web", namespace: "shop" }, "ValidationPassed", { revision: validating.revision ?? 1, checks: [], warmup: null });
    // (applied before it is published, so that no stage records it first — the end is the same as
    // publish, write, crash: the event on the stream, the state written, no timer)
    expect((await f.rt.store.apply(passed)).kind).toBe("applied");
    await f.rt.bus.publish(passed);
    const waiting = await f.state(id);
    expect(waiting?.phase).toBe("awaiting_promotion");
    // Then the stages that consume ValidationPassed see a duplicate, and the deadline fires all the same
    const end = await f.waitForEnd(id, 15_000);
    expect(end.phase).toBe("rolled_back");
    expect(end.deadlinesExceeded).toEqual(["awaiting_promotion"]);
    const late = Date.parse(end.enteredAt.rolling_back ?? "") - Date.parse(waiting?.enteredAt.awaiting_promotion ?? "");
    expect(late).toBeGreaterThanOrEqual(2000);
    expect((await f.events(id)).map((e) => e.name)).toEqual(["ReleaseRequested", "ReleasePlanned", "PodsLive", "ValidationPassed", "DeadlineExceeded", "ReleaseRolledBack"]);
  });
});
