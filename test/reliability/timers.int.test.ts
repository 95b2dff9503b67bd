import { spawn } from "node:child_process";
import { join, resolve } from "node:path";
import { afterEach, describe, expect, test } from "vitest";
import { makeEvent } from "@baton/contracts";
import { createLogger, schedule, startTimerPump, type Runtime, type TimerPump } from "@baton/runtime";
import { openTestRuntime, testConfig, waitFor, type TestRuntime } from "@baton/runtime/testing";
import { envOf } from "./procs.js";

// Timers at volume and under crashes: 3 pumps over 10,000 deadlines fire each exactly once; a pump
// process kill -9'd right after its claim (or after publishing, before deleting the timer) does not
// lose the timer, and it still fires once.

const ROOT = resolve(import.meta.dirname, "../..");
const opened: TestRuntime[] = [];
const pumps: TimerPump[] = [];
afterEach(async () => {
  await Promise.all(pumps.splice(0).map((p) => p.stop()));
  const [first, ...rest] = opened.splice(0);
  await Promise.all(rest.map((r) => r.close()));
  await first?.cleanup();
});

async function runtimes(n: number, config = testConfig()): Promise<TestRuntime[]> {
  for (let i = 0; i < n; i++) opened.push(await openTestRuntime(`pump-${i}`, config, createLogger({ service: `pump-${i}`, level: "silent" })));
  return opened.slice(0, n);
}

function shutdownDue(i: number) {
  return makeEvent("ShutdownDue", { releaseId: `rel-${i}`, app: "web", namespace: "shop", revision: 1 }, { source: "timer", time: new Date().toISOString() });
}

/** Ids of the events stored in the stream (duplicates included, if any got through). */
async function storedIds(rt: Runtime): Promise<string[]> {
  const msgs = await rt.bus.readAll(rt.bus.subjects.eventsStream, rt.bus.subjects.allEvents);
  return msgs.map((m) => (JSON.parse(m.data) as { id: string }).id);
}

async function storedCount(rt: Runtime): Promise<number> {
  return (await rt.bus.jsm.streams.info(rt.bus.subjects.eventsStream)).state.messages;
}

function firedCount(rt: Runtime): Promise<number> {
  return rt.metrics.timersFired.get().then((m) => m.values[0]?.value ?? 0);
}

/** Runs bin/claim-and-die.ts in its own process; resolves with what it claimed once it is dead. */
function dyingPump(rt: TestRuntime, mode: "after-claim" | "after-publish", leaseMs: number): Promise<{ claimed: string[]; signal: string | null }> {
  return new Promise((resolvePromise, reject) => {
    const child = spawn(process.execPath, ["--conditions=source", "--import", "tsx", join(import.meta.dirname, "bin/claim-and-die.ts"), mode, String(leaseMs)], {
      cwd: ROOT,
      env: { ...process.env, ...envOf(rt.config) },
      stdio: ["ignore", "pipe", "pipe"],
    });
    let out = "";
    child.stdout.on("data", (c: Buffer) => (out += c.toString()));
    child.stderr.on("data", (c: Buffer) => (out += c.toString()));
    child.once("error", reject);
    child.once("exit", (_code, signal) => {
      try {
        const line = out.split("\n").find((l) => l.startsWith("{")) ?? "";
        resolvePromise({ ...(JSON.parse(line) as { claimed: string[] }), signal });
      } catch {
        reject(new Error(`the dying pump printed no claim: ${out}`));
      }
    });
  });
}

describe("timers at volume and under crashes (real Redis and NATS)", () => {
  test("3 pumps over 10,000 deadlines: each fires exactly once", async () => {
    const rts = await runtimes(3);
    const [a] = rts as [TestRuntime];
    for (let start = 0; start < 10_000; start += 500) {
      await Promise.all(Array.from({ length: 500 }, (_, k) => schedule(a, shutdownDue(start + k), { inMs: (start + k) % 200 })));
    }
    expect(await a.timers.pending()).toBe(10_000);
    for (const r of rts) pumps.push(startTimerPump(r, { pollMs: 5 }));
    await waitFor("10,000 timer events", async () => (await storedCount(a)) >= 10_000, 40_000, 200);
    await waitFor("every timer deleted", async () => (await a.timers.pending()) === 0, 5000);
    const ids = await storedIds(a);
    expect(ids).toHaveLength(10_000);
    expect(new Set(ids).size).toBe(10_000);
    const counts = await Promise.all(rts.map(firedCount));
    expect(counts.reduce((x, y) => x + y, 0)).toBe(10_000); // no pump published a timer twice (not even one JetStream dropped)
    expect(counts.filter((c) => c > 0).length).toBeGreaterThan(1); // the work was shared
    expect(await schedule(a, shutdownDue(42), { inMs: 0 })).toBe(false); // a fired timer is not armed again
  }, 60_000);

  test.each(["after-claim", "after-publish"] as const)("a pump process kill -9'd %s: the timer fires once when its lease runs out", async (mode) => {
    const [a] = (await runtimes(1)) as [TestRuntime];
    await schedule(a, shutdownDue(1), { inMs: 0 });
    const died = await dyingPump(a, mode, 300);
    expect(died).toEqual({ claimed: ["rel-1:shutdown_due"], signal: "SIGKILL" });
    expect(await a.timers.pending()).toBe(1); // claimed, leased, not lost
    pumps.push(startTimerPump(a, { pollMs: 10, leaseMs: 300 }));
    await waitFor("the timer to be done", async () => (await a.timers.pending()) === 0, 5000);
    expect(await storedIds(a)).toEqual(["rel-1:shutdown_due"]);
    expect(await firedCount(a)).toBe(1); // the live pump published it once (after-publish: JetStream dropped it as a duplicate)
  });
});

describe("a timer that would become poison (issue 22, item 13)", () => {
  test("a pump that stalls past its lease cannot delete a timer another pump re-queued: it still fires, once", async () => {
    const [a] = (await runtimes(1)) as [TestRuntime];
    // Given pump A claimed timer X with a short lease, then stalled past it
    await schedule(a, shutdownDue(1), { inMs: 0 });
    const stalled = await a.timers.claim(1, 50);
    expect(stalled.timers.map((t) => t.id)).toEqual(["rel-1:shutdown_due"]);
    await new Promise((r) => setTimeout(r, 120));
    // and pump B's claim put X back in `due` (lease expired) without claiming it (its batch was full)
    await schedule(a, shutdownDue(2), { atMs: 1 });
    const b = await a.timers.claim(1, 10_000);
    expect(b.timers.map((t) => t.id)).toEqual(["rel-2:shutdown_due"]);
    // When A wakes up and acknowledges X
    await a.timers.ack(stalled.timers[0]!);
    // Then X is not lost: a running pump fires it, once, and nothing stays pending
    pumps.push(startTimerPump(a, { pollMs: 10, leaseMs: 300 }));
    await waitFor("timer X to fire", async () => (await storedIds(a)).includes("rel-1:shutdown_due"), 5000);
    await a.timers.ack(b.timers[0]!); // B finishes its own
    await waitFor("nothing pending", async () => (await a.timers.pending()) === 0, 5000);
    expect((await storedIds(a)).filter((id) => id === "rel-1:shutdown_due")).toHaveLength(1);
  });

  test("a timer id left in `due` with no payload is treated as done; the timers after it still fire", async () => {
    const [a] = (await runtimes(1)) as [TestRuntime];
    await schedule(a, shutdownDue(1), { atMs: 1 });
    await schedule(a, shutdownDue(2), { inMs: 0 });
    await a.redis.hdel(a.timers.keys.timersData, "rel-1:shutdown_due"); // its payload lost
    pumps.push(startTimerPump(a, { pollMs: 10, leaseMs: 300 }));
    await waitFor("the good timer to fire", async () => (await storedIds(a)).includes("rel-2:shutdown_due"), 5000);
    await waitFor("nothing pending", async () => (await a.timers.pending()) === 0, 5000);
    expect(await storedIds(a)).toEqual(["rel-2:shutdown_due"]);
  });
});
