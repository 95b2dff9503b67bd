import { afterEach, describe, expect, test } from "vitest";
import { makeEvent } from "@baton/contracts";
import { schedule, startTimerPump, type Runtime, type TimerPump } from "@baton/runtime";
import { openTestRuntime, testConfig, waitFor, type TestRuntime } from "@baton/runtime/testing";

const opened: TestRuntime[] = [];
const pumps: TimerPump[] = [];
afterEach(async () => {
  await Promise.all(pumps.splice(0).map((p) => p.stop()));
  const [first, ...rest] = opened.splice(0);
  await Promise.all(rest.map((r) => r.close()));
  await first?.cleanup();
});

async function runtimes(n: number): Promise<TestRuntime[]> {
  const config = testConfig();
  for (let i = 0; i < n; i++) opened.push(await openTestRuntime(`pump-${i}`, config));
  return opened.slice(0, n);
}

function shutdownDue(i: number) {
  return makeEvent("ShutdownDue", { releaseId: `rel-${i}`, app: "web", namespace: "shop", revision: 1 }, { source: "timer", time: new Date().toISOString() });
}

async function fired(rt: Runtime): Promise<string[]> {
  const msgs = await rt.bus.readAll(rt.bus.subjects.eventsStream, rt.bus.subjects.allEvents);
  return msgs.map((m) => (JSON.parse(m.data) as { id: string }).id);
}

function firedCount(rt: Runtime): Promise<number> {
  return rt.metrics.timersFired.get().then((m) => m.values[0]?.value ?? 0);
}

describe("timers (real Redis and NATS)", () => {
  test("3 pumps over 1,000 timers: each fires exactly once", async () => {
    const rts = await runtimes(3);
    const [a] = rts as [TestRuntime];
    for (let i = 0; i < 1000; i++) await schedule(a, shutdownDue(i), { inMs: i % 50 });
    expect(await schedule(a, shutdownDue(0), { inMs: 0 })).toBe(false); // adding one that exists is a no-op
    for (const r of rts) pumps.push(startTimerPump(r, { pollMs: 5 }));
    const ids = await waitFor("1,000 timer events", async () => {
      const got = await fired(a);
      return got.length >= 1000 ? got : undefined;
    }, 20_000, 100);
    expect(new Set(ids).size).toBe(1000);
    const counts = await Promise.all(rts.map(firedCount));
    expect(counts.reduce((x, y) => x + y, 0)).toBe(1000); // no pump published any timer twice
    expect(counts.filter((c) => c > 0).length).toBeGreaterThan(1); // the work was shared
    expect(await a.timers.pending()).toBe(0);
    expect(await schedule(a, shutdownDue(5), { inMs: 0 })).toBe(false); // a fired timer is not re-armed
  });

  test("a pump killed right after its claim: the timer still fires, once, when the lease runs out", async () => {
    const [a] = (await runtimes(1)) as [TestRuntime];
    await schedule(a, shutdownDue(1), { inMs: 0 });
    const claimed = await a.timers.claim(10, 300); // the pump that "dies" now, holding a 300 ms lease
    expect(claimed.timers.map((t) => t.id)).toEqual(["rel-1:shutdown_due"]);
    pumps.push(startTimerPump(a, { pollMs: 10, leaseMs: 300 }));
    const ids = await waitFor("the timer event", async () => ((await fired(a)).length > 0 ? fired(a) : undefined), 5000);
    await new Promise((r) => setTimeout(r, 500));
    expect(await fired(a)).toEqual(ids);
    expect(ids).toEqual(["rel-1:shutdown_due"]);
    expect(await firedCount(a)).toBe(1);
  });

  test("a timer is due on Redis' clock and fires no earlier", async () => {
    const [a] = (await runtimes(1)) as [TestRuntime];
    const t0 = Date.now();
    await schedule(a, shutdownDue(2), { inMs: 300 });
    pumps.push(startTimerPump(a, { pollMs: 5 }));
    await waitFor("the timer event", async () => ((await fired(a)).length > 0 ? true : undefined), 5000, 5);
    expect(Date.now() - t0).toBeGreaterThanOrEqual(290);
  });
});
