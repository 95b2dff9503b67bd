import { afterEach, describe, expect, test } from "vitest";
import { namespace, startFaulty, type Faulty } from "./faulty.js";

// The intake answers from what is stored (issue 22, items 9 and 10): a release id that exists is
// answered with its state and never judged again, and a request whose event was published is
// accepted even when the state write after the publish failed.

let f: Faulty | undefined;
afterEach(async () => {
  await f?.stop();
  f = undefined;
});

const spec = (extra: Record<string, unknown> = {}) => ({ image: "baton.dev/demo-app:1.0.0", replicas: 1, ...extra });

describe("the intake answers from what is stored", () => {
  test("a retry with the same releaseId but a now-invalid body is answered with the release's state; the accepted release is not rejected", async () => {
    f = await startFaulty({ stages: ["planner"] });
    await namespace(f);
    const slow = f.proxy.add({ method: "GET", path: /^\/api\/v1\/namespaces\/shop$/, hold: true, times: 1 });
    const id = "keep-me-1";
    // Given an accepted release, still waiting to be planned
    expect(await f.release(spec({ releaseId: id }))).toEqual({ ok: true, releaseId: id });
    await slow.hit;
    // When the same releaseId arrives again with a body that is now invalid
    const retry = await f.release(spec({ releaseId: id, replicas: -1 }));
    // Then the answer is the release's current state, and the release goes on
    expect(retry).toEqual({ ok: true, releaseId: id, duplicate: true, phase: "requested" });
    slow.release();
    expect((await f.waitForPhase(id, "planned", 10_000)).phase).toBe("planned");
    expect((await f.events(id)).map((e) => e.name)).toEqual(["ReleaseRequested", "ReleasePlanned"]);
  });

  test("the state write after the publish fails: the caller is told the release was accepted (not to try again), and it runs once", async () => {
    f = await startFaulty({ stages: ["planner"] });
    await namespace(f);
    // Given Redis refuses the index write that follows the publish
    await f.rt.redis.set(f.rt.store.keys.index, "broken");
    // When a release is requested
    const reply = await f.release(spec());
    // Then the reply says accepted, with the id the release runs under
    expect(reply).toMatchObject({ ok: true });
    const id = String(reply.releaseId);
    await f.rt.redis.del(f.rt.store.keys.index);
    const planned = await f.waitForPhase(id, "planned", 15_000);
    expect(planned.revision).toBe(1);
    expect((await f.events(id)).map((e) => e.name)).toEqual(["ReleaseRequested", "ReleasePlanned"]);
  });
});
