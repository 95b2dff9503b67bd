import { afterEach, beforeEach, describe, expect, test } from "vitest";
import { releaseEvents, spec } from "@baton/contracts/testing";
import { ack, consume, durableName, listDeadLetters, record, startStage, type Consumption, type RunningStage } from "@baton/runtime";
import { openTestRuntime, testConfig, waitFor, type TestRuntime } from "@baton/runtime/testing";

// Deliveries that never reach an outcome (issue 22, item 7): a handler that crashes its process
// each time (JetStream counts every delivery) must still end in the dead-letter stream, never be
// dropped; and a handler stuck on a call must not be kept "in progress" for ever by the heartbeat.

let rt: TestRuntime;
const running: { stop(): Promise<void> }[] = [];
beforeEach(async () => {
  rt = await openTestRuntime("stuck", testConfig({ BATON_ACK_WAIT_MS: 1000 }));
});
afterEach(async () => {
  await Promise.all(running.splice(0).map((c) => c.stop()));
  await rt.cleanup();
});

describe("deliveries that never reach an outcome", () => {
  test("a message whose deliveries all crashed (none acked, none failed) lands in the dead-letter stream with its payload, without running the handler again", async () => {
    const spec1 = { stage: "test", event: "ReleaseRequested" as const, concurrency: 4, maxDeliver: 2, ackWaitMs: 500 };
    // Given the stage's durable consumer exists
    const calls: number[] = [];
    const first: Consumption = await consume(rt.bus, spec1, async (d) => (calls.push(d.attempt), ack), { log: rt.log });
    await first.stop();
    const event = releaseEvents("rel-crash")("ReleaseRequested", { spec: spec() });
    await rt.bus.publish(event);
    // When three replicas in a row take the message and die before any outcome (no ack, no nak)
    const durable = await rt.bus.js.consumers.get(rt.bus.subjects.eventsStream, durableName("test", "ReleaseRequested", rt.bus));
    for (let crash = 1; crash <= 3; crash++) {
      const batch = await durable.fetch({ max_messages: 1, expires: 2000 });
      let got = 0;
      for await (const m of batch) got += m.info.deliveryCount === crash ? 1 : 0;
      expect(got).toBe(1);
      await new Promise((r) => setTimeout(r, 700)); // the ack wait runs out
    }
    // and a live replica consumes next
    running.push(await consume(rt.bus, spec1, async (d) => (calls.push(d.attempt), ack), { log: rt.log }));
    // Then the message is parked in the dead-letter stream (not dropped by the server), handler not run
    const letters = await waitFor("a dead letter", async () => {
      const l = await listDeadLetters(rt.bus);
      return l.length > 0 ? l : undefined;
    }, 10_000, 100);
    expect(letters).toHaveLength(1);
    expect(letters[0]).toMatchObject({ stage: "test", event: "ReleaseRequested", kind: "max_deliveries" });
    expect(JSON.parse(letters[0]!.payload)).toMatchObject({ id: event.id });
    expect(calls).toEqual([]);
  });

  test("a handler stuck on a call past its phase's deadline is no longer kept in progress: the message is delivered again", async () => {
    // Given a release whose `validating` deadline (1 s) passed a minute ago
    const ev = releaseEvents("rel-stuck", "web", "shop", Date.now() - 120_000);
    await record(rt, ev("ReleaseRequested", { spec: spec({ validation: { timeoutSeconds: 1 } }) }));
    await record(rt, ev("ReleasePlanned", { revision: 1, previousRevision: null, fence: 1 }));
    const live = ev("PodsLive", { revision: 1, ready: 2, desired: 2 });
    // and a validator whose handler hangs on a call that never answers
    const attempts: number[] = [];
    let unblock = () => {};
    const blocked = new Promise<void>((r) => (unblock = r));
    const stage: RunningStage = await startStage({ name: "validator", handlers: { PodsLive: async (ctx) => (attempts.push(ctx.attempt), await blocked) } }, rt);
    running.push({ stop: async () => (unblock(), await stage.stop()) });
    // When PodsLive is delivered
    await rt.bus.publish(live);
    // Then the heartbeat stops (the phase's deadline is long past) and JetStream delivers it again
    await waitFor("a second delivery", () => attempts.length >= 2, 8000, 50);
    expect(attempts.slice(0, 2)).toEqual([1, 2]);
  });
});
