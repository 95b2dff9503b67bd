import { afterAll, beforeAll, describe, expect, test } from "vitest";
import type { AnyEvent } from "@baton/contracts";
import { waitQuiet } from "./quiet.js";
import { given, sideEffects, startRig, type Rig } from "./rig.js";

// Every event delivered twice, and events delivered out of order (stale, shuffled, reversed):
// the stage runner records each event through the state machine first and acts only on the latest
// one, so the releases end the same and no Kubernetes write happens twice.

let rig: Rig;
beforeAll(async () => {
  rig = await startRig();
  await given(rig);
}, 120_000);
afterAll(async () => {
  await rig?.stop();
});

const v1 = (app: string) => ({ app, image: "baton.dev/demo-app:1.0.0", replicas: 2 });
const v2 = (app: string, delaySeconds = 0) => ({
  app,
  image: "baton.dev/demo-app:2.0.0",
  replicas: 2,
  validation: { tests: [{ name: "version", request: { path: "/version" }, expect: { status: 200, bodyContains: "2.0.0" } }] },
  shutdown: { delaySeconds, gracePeriodSeconds: 1 },
});
const FIRST = ["ReleaseRequested", "ReleasePlanned", "PodsLive", "ValidationPassed", "TrafficSwitched", "ReleaseCompleted"];
const SECOND = ["ReleaseRequested", "ReleasePlanned", "PodsLive", "ValidationPassed", "TrafficSwitched", "DrainDue", "DrainStarted", "ShutdownDue", "ReleaseCompleted"];

async function completed(spec: Record<string, unknown>): Promise<string> {
  const id = await rig.releaseOk(spec);
  const end = await rig.waitForEnd(id);
  expect(end.phase, JSON.stringify(end.outcome)).toBe("completed");
  return id;
}

/** Publishes the events again under new Nats-Msg-Ids, so JetStream stores and delivers them again. */
async function republish(events: readonly AnyEvent[], tag: string): Promise<void> {
  for (const [i, e] of events.entries()) {
    const subject = rig.rt.bus.subjects.event(e.name, e.data.namespace, e.data.app, e.data.releaseId);
    const r = await rig.rt.bus.publishRaw(subject, JSON.stringify(e), `${e.id}~${tag}${i}`);
    expect(r.duplicate).toBe(false);
  }
}

/** A permutation from a seed (mulberry32), so a failure can be replayed. */
function shuffled<T>(items: readonly T[], seed: number): T[] {
  let a = seed;
  const rand = () => {
    a = (a + 0x6d2b79f5) | 0;
    let t = Math.imul(a ^ (a >>> 15), 1 | a);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
  const out = [...items];
  for (let i = out.length - 1; i > 0; i--) {
    const j = Math.floor(rand() * (i + 1));
    [out[i], out[j]] = [out[j] as T, out[i] as T];
  }
  return out;
}

const streamCount = async () => (await rig.rt.bus.jsm.streams.info(rig.rt.bus.subjects.eventsStream)).state.messages;
const distinctNames = (events: readonly AnyEvent[]) => [...new Map(events.map((e) => [e.id, e.name])).values()];

describe("duplicate and out-of-order delivery", () => {
  test("every event of two releases delivered twice, as it happens: exact sequences, each side effect once", async () => {
    // Given a duplicator that republishes every event the moment it is stored, under a new id
    const copies: Promise<unknown>[] = [];
    const sub = rig.rt.bus.nc.subscribe(`${rig.config.BATON_PREFIX}.evt.>`, {
      callback: (_err, msg) => {
        if (msg.headers?.get("Nats-Msg-Id")?.endsWith("~dup")) return;
        const id = (JSON.parse(msg.string()) as { id: string }).id;
        copies.push(rig.rt.bus.publishRaw(msg.subject, msg.string(), `${id}~dup`));
      },
    });
    await rig.rt.bus.nc.flush();
    try {
      // When v1 and then v2 of an app are released
      const first = await completed(v1("dup"));
      const second = await completed(v2("dup"));
      await Promise.all(copies);
      await waitQuiet(rig.rt);
      // Then each release's events are the exact sequence, every one of them stored (and delivered) twice
      for (const [id, expected] of [[first, FIRST], [second, SECOND]] as const) {
        const events = await rig.events(id);
        expect(distinctNames(events)).toEqual(expected);
        expect(events).toHaveLength(expected.length * 2);
      }
      // and every Kubernetes side effect happened once
      expect(sideEffects(rig.writes(), "dup", 2, 1)).toEqual({
        deploymentCreated: 1, productionSwitched: 1, productionCreated: 1, v1ScaledToZero: 1, v1PodsForced: 0, v1Deleted: 1,
      });
      expect(rig.writes().filter((w) => w.verb === "create" && w.resource === "deployments" && w.name === "dup-1")).toHaveLength(1);
      expect((await rig.state(second))?.applied).toHaveLength(SECOND.length);
    } finally {
      sub.unsubscribe();
    }
  });

  test("two ended releases' events delivered again shuffled (3 permutations) and reversed: states unchanged, nothing written, nothing emitted", async () => {
    const first = await completed(v1("shuffle"));
    const second = await completed(v2("shuffle"));
    await waitQuiet(rig.rt);
    const all = [...(await rig.events(first)), ...(await rig.events(second))];
    const before = { first: await rig.rt.store.get(first), second: await rig.rt.store.get(second), writes: rig.writes().length, stored: await streamCount() };
    // When every event arrives again, in orders nothing ever produced them in
    const orders = [shuffled(all, 1), shuffled(all, 2), shuffled(all, 3), [...all].reverse()];
    for (const [n, order] of orders.entries()) await republish(order, `o${n}-`);
    await waitQuiet(rig.rt);
    // Then the stored states are byte-for-byte the same, no API write happened, no stage emitted anything
    expect(await rig.rt.store.get(first)).toEqual(before.first);
    expect(await rig.rt.store.get(second)).toEqual(before.second);
    expect(rig.writes()).toHaveLength(before.writes);
    expect(await streamCount()).toBe(before.stored + all.length * orders.length);
  });

  test("stale events of the release and of its predecessor arrive, reversed, while it is `switched`: it completes with the exact sequence, side effects once", async () => {
    const first = await completed(v1("late"));
    const second = await rig.releaseOk(v2("late", 2));
    await rig.waitForPhase(second, "switched");
    const stale = [...(await rig.events(first)), ...(await rig.events(second))].reverse();
    await republish(stale, "late");
    const end = await rig.waitForEnd(second);
    expect(end.phase).toBe("completed");
    expect(distinctNames(await rig.events(second))).toEqual(SECOND);
    expect(end.applied).toHaveLength(SECOND.length);
    expect(sideEffects(rig.writes(), "late", 2, 1)).toEqual({
      deploymentCreated: 1, productionSwitched: 1, productionCreated: 1, v1ScaledToZero: 1, v1PodsForced: 0, v1Deleted: 1,
    });
    expect((await rig.state(first))?.phase).toBe("completed");
  });
});
