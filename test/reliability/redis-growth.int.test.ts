import { afterEach, describe, expect, test } from "vitest";
import { waitFor } from "@baton/runtime/testing";
import { namespace, startFaulty, type Faulty } from "./faulty.js";

// Redis must not grow forever (issue 22, item 12): the release index, the id → app map and the
// per-app revision lists are pruned once the states they point to have expired (retention), and
// garbage requests leave nothing behind. Retention and the prune interval are made small here.

let f: Faulty | undefined;
afterEach(async () => {
  await f?.stop();
  f = undefined;
});

async function counts(f: Faulty) {
  const k = f.rt.store.keys;
  const [index, where, revs] = await Promise.all([f.rt.redis.zcard(k.index), f.rt.redis.hlen(k.where), f.rt.redis.hlen(k.revisions("shop/web"))]);
  return { index, where, revs };
}

describe("Redis is pruned with the states' retention", () => {
  test("after 30 garbage requests and 2 ended releases, once their states expired, the index, the id map and the revision list are back to empty", async () => {
    f = await startFaulty({ stages: ["planner", "pod-manager"], overrides: { BATON_STATE_RETENTION_S: 1, BATON_PRUNE_INTERVAL_S: 1 } });
    await namespace(f);
    // Given garbage requests (each rejected) and two releases that were planned and then ended
    for (let i = 0; i < 30; i++) expect((await f.release({ app: `x${i}`, image: "", replicas: -1 })).ok).toBe(false);
    for (let i = 0; i < 2; i++) {
      const id = await f.releaseOk({ image: "baton.dev/demo-app:1.0.0", replicas: 1, template: { spec: { containers: [{ name: "app", env: [{ name: "DEMO_NEVER_READY", value: "true" }] }] } } });
      await f.waitForPhase(id, "planned", 10_000);
      expect((await f.abort(id)).accepted).toBe(true);
      expect((await f.waitForEnd(id, 15_000)).phase).toBe("rolled_back");
    }
    const before = await counts(f);
    expect(before.index).toBe(32);
    expect(before.where).toBe(32);
    expect(before.revs).toBe(2);
    // When their states have expired (retention 1 s) and the prune ran
    // Then nothing of them is left
    await waitFor("the index, id map and revision list to be pruned", async () => {
      const c = await counts(f!);
      return c.index === 0 && c.where === 0 && c.revs === 0 ? c : undefined;
    }, 10_000, 100);
  });
});
