import { afterEach, describe, expect, test } from "vitest";
import { makeEvent } from "@baton/contracts";
import { releaseEvents, spec } from "@baton/contracts/testing";
import { emit, eventOf, schedule, startStage, startTimerPump, type RunningStage, type Runtime, type TimerPump } from "@baton/runtime";
import { openTestRuntime, testConfig, waitFor, type TestRuntime } from "@baton/runtime/testing";

// The shortcuts that keep a hop fast (fewer Redis round trips, no wait for the timer poll) keep
// the semantics of the long way: a stale snapshot is caught, a fenced duplicate does nothing, and a
// timer is fired by the pump of the process that added it without waiting for the poll.

const opened: TestRuntime[] = [];
const pumps: TimerPump[] = [];
const stages: RunningStage[] = [];
afterEach(async () => {
  await Promise.all(stages.splice(0).map((s) => s.stop()));
  await Promise.all(pumps.splice(0).map((p) => p.stop()));
  const [first, ...rest] = opened.splice(0);
  await Promise.all(rest.map((r) => r.close()));
  await first?.cleanup();
});

async function runtimes(n: number): Promise<TestRuntime[]> {
  const config = testConfig();
  for (let i = 0; i < n; i++) opened.push(await openTestRuntime(`fast-${i}`, config));
  return opened.slice(0, n);
}

async function fired(rt: Runtime): Promise<string[]> {
  const msgs = await rt.bus.readAll(rt.bus.subjects.eventsStream, rt.bus.subjects.allEvents);
  return msgs.map((m) => (JSON.parse(m.data) as { id: string }).id);
}

describe("fast paths (real Redis and NATS)", () => {
  test("apply from a snapshot: applied when still current, decided on a fresh read when it went stale", async () => {
    const [rt] = (await runtimes(1)) as [TestRuntime];
    const ev = releaseEvents("rel-snap");
    await rt.store.apply(ev("ReleaseRequested", { spec: spec() }));
    const planned = ev("ReleasePlanned", { revision: 2, previousRevision: 1, fence: 1 });
    const snapshot = await rt.store.getOf(planned);
    expect(snapshot).toEqual(await rt.store.get("rel-snap"));
    expect((await rt.store.apply(planned, snapshot)).kind).toBe("applied");
    // One version behind, and PodsLive is refused from its phase: the store reads again and applies.
    const live = ev("PodsLive", { revision: 2, ready: 1, desired: 1 });
    expect(await rt.store.apply(live, snapshot)).toMatchObject({ kind: "applied", state: { phase: "validating" } });
    expect((await rt.store.apply(live, snapshot)).kind).toBe("duplicate");
    // Valid from the snapshot's phase too: the compare-and-set still catches the stale version, and
    // the event lands on top of what happened since.
    const abort = await rt.store.apply(ev("AbortRequested", { by: "alice", reason: "test" }), snapshot);
    expect(abort).toMatchObject({ kind: "applied", state: { phase: "rolling_back" } });
    const stored = await rt.store.get("rel-snap");
    expect(stored).toMatchObject({ version: 4, state: { phase: "rolling_back" } });
    expect(stored?.state.applied).toContain(live.id);
  });

  test("an event its emitter already recorded runs the handler, unless a newer release of the app holds the lock", async () => {
    const [rt] = (await runtimes(1)) as [TestRuntime];
    const release = { releaseId: "rel-f", app: "web", namespace: "shop" };
    const calls: string[] = [];
    stages.push(await startStage({ name: "validator", handlers: { PodsLive: async (ctx) => void calls.push(ctx.event.id) } }, rt));
    const handled = (n: number) =>
      waitFor(`${n} PodsLive handled`, async () => ((await rt.metrics.consumed.get()).values.reduce((x, v) => x + v.value, 0) >= n ? true : undefined));
    await emit(rt, "test", eventOf(rt, "intake", release, "ReleaseRequested", { spec: spec() }));
    await emit(rt, "test", eventOf(rt, "planner", release, "ReleasePlanned", { revision: 2, previousRevision: 1, fence: 1 }));
    const lock = rt.store.keys.lock(rt.store.keys.tag("shop", "web"));
    await rt.redis.hset(lock, "rid", "rel-f", "fence", 1);
    const live = eventOf(rt, "pod-manager", release, "PodsLive", { revision: 2, ready: 2, desired: 2 });
    expect((await rt.store.apply(live)).kind).toBe("applied"); // recorded before the stage sees it
    await rt.bus.publish(live);
    await handled(1);
    expect(calls).toEqual(["rel-f:pods_live"]);
    await rt.redis.hset(lock, "rid", "rel-newer", "fence", 2); // a newer release took the app over
    await rt.bus.publishRaw(rt.bus.subjects.event("PodsLive", "shop", "web", "rel-f"), JSON.stringify(live), "redelivered");
    await handled(2);
    expect(calls).toEqual(["rel-f:pods_live"]); // fenced: the second delivery did nothing
  });

  test("a timer this process adds wakes its sleeping pump at once; another process's waits for the poll", async () => {
    const [a, b] = (await runtimes(2)) as [TestRuntime, TestRuntime];
    const due = (i: number) =>
      makeEvent("ShutdownDue", { releaseId: `rel-${i}`, app: "web", namespace: "shop", revision: 1 }, { source: "timer", time: new Date().toISOString() });
    pumps.push(startTimerPump(a, { pollMs: 60_000 }));
    await new Promise((r) => setTimeout(r, 100)); // its first claim found nothing: it sleeps for a minute
    await schedule(a, due(1), { inMs: 0 });
    await waitFor("the timer added here fired", async () => ((await fired(a)).length === 1 ? true : undefined), 2000, 10);
    await schedule(b, due(2), { inMs: 0 }); // added by a process whose pump is not running
    await new Promise((r) => setTimeout(r, 300));
    expect(await fired(a)).toEqual(["rel-1:shutdown_due"]); // a's pump sleeps on: such timers wait for its poll
    expect(await a.timers.pending()).toBe(1);
  });
});
