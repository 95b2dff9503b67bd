import { afterEach, beforeEach, describe, expect, test } from "vitest";
import { makeEvent } from "@baton/contracts";
import { releaseEvents, spec } from "@baton/contracts/testing";
import { ack, consume, listDeadLetters, TerminalError, type Consumption } from "@baton/runtime";
import { openTestRuntime, waitFor, type TestRuntime } from "@baton/runtime/testing";

let rt: TestRuntime;
const running: Consumption[] = [];
beforeEach(async () => {
  rt = await openTestRuntime();
});
afterEach(async () => {
  await Promise.all(running.splice(0).map((c) => c.stop()));
  await rt.cleanup();
});

const spec1 = { stage: "test", event: "ReleaseRequested" as const, concurrency: 8, maxDeliver: 3, ackWaitMs: 5000 };

describe("JetStream bus (real NATS)", () => {
  test("a republished event (same release, same step) is dropped as a duplicate", async () => {
    const e = releaseEvents("rel-dup")("ReleaseRequested", { spec: spec() });
    const first = await rt.bus.publish(e);
    const again = await rt.bus.publish({ ...e, time: new Date().toISOString() });
    expect(first.duplicate).toBe(false);
    expect(again).toEqual({ seq: first.seq, duplicate: true });
    expect(await rt.bus.releaseEvents("rel-dup")).toHaveLength(1);
  });

  test("a handler that fails is retried and the retry succeeds", async () => {
    const attempts: number[] = [];
    running.push(
      await consume(rt.bus, spec1, async (d) => {
        attempts.push(d.attempt);
        if (d.attempt === 1) throw new Error("transient");
        return ack;
      }, { log: rt.log }),
    );
    await rt.bus.publish(releaseEvents("rel-retry")("ReleaseRequested", { spec: spec() }));
    await waitFor("the retry", () => attempts.length === 2);
    expect(attempts).toEqual([1, 2]);
    expect(await listDeadLetters(rt.bus)).toEqual([]);
  });

  test("a message that keeps failing goes to the dead-letter stream after MaxDeliver, with its error, and does not block others", async () => {
    const handled: string[] = [];
    running.push(
      await consume(rt.bus, spec1, async (d) => {
        const id = (JSON.parse(d.msg.string()) as { subject: string }).subject;
        if (id === "rel-poison") throw new Error("cannot handle this one");
        handled.push(id);
        return ack;
      }, { log: rt.log }),
    );
    await rt.bus.publish(releaseEvents("rel-poison")("ReleaseRequested", { spec: spec() }));
    await rt.bus.publish(releaseEvents("rel-good")("ReleaseRequested", { spec: spec() }));
    await waitFor("the good message", () => handled.includes("rel-good"));
    const letters = await waitFor("a dead letter", async () => {
      const l = await listDeadLetters(rt.bus);
      return l.length > 0 ? l : undefined;
    });
    expect(letters).toHaveLength(1);
    expect(letters[0]).toMatchObject({ stage: "test", event: "ReleaseRequested", attempts: 3, error: "cannot handle this one", kind: "retries_exhausted" });
    expect(JSON.parse(letters[0]?.payload ?? "{}").subject).toBe("rel-poison");
  });

  test("an event that is not valid is dead-lettered at once as terminal", async () => {
    running.push(
      await consume(rt.bus, spec1, async () => {
        throw new TerminalError("bad event");
      }, { log: rt.log }),
    );
    const e = makeEvent("ReleaseRequested", { releaseId: "rel-bad", app: "web", namespace: "shop", spec: spec() }, { source: "t", time: new Date().toISOString() });
    await rt.bus.publish(e);
    const letters = await waitFor("a dead letter", async () => ((await listDeadLetters(rt.bus)).length ? listDeadLetters(rt.bus) : undefined));
    expect(letters[0]).toMatchObject({ attempts: 1, kind: "terminal", error: "bad event" });
  });

  test("replicas of a stage share one durable consumer: each event handled by one of them", async () => {
    const seen = new Map<string, number>();
    const handler = async (d: { msg: { string(): string } }) => {
      const id = (JSON.parse(d.msg.string()) as { subject: string }).subject;
      seen.set(id, (seen.get(id) ?? 0) + 1);
      return ack;
    };
    running.push(await consume(rt.bus, spec1, handler, { log: rt.log }));
    running.push(await consume(rt.bus, spec1, handler, { log: rt.log }));
    for (let i = 0; i < 50; i++) await rt.bus.publish(releaseEvents(`rel-${i}`)("ReleaseRequested", { spec: spec() }));
    await waitFor("50 events", () => seen.size === 50);
    expect([...seen.values()].every((n) => n === 1)).toBe(true);
  });
});
