import { afterEach, beforeEach, describe, expect, test } from "vitest";
import { releaseEvents, spec } from "@baton/contracts/testing";
import { openTestRuntime, type TestRuntime } from "@baton/runtime/testing";

let rt: TestRuntime;
beforeEach(async () => {
  rt = await openTestRuntime();
});
afterEach(async () => {
  await rt.cleanup();
});

describe("release store (real Redis)", () => {
  test("state is found by release id; an event applied twice writes once", async () => {
    const ev = releaseEvents("rel-a");
    const requested = ev("ReleaseRequested", { spec: spec() });
    expect((await rt.store.apply(requested)).kind).toBe("applied");
    expect((await rt.store.apply(requested)).kind).toBe("duplicate");
    const stored = await rt.store.get("rel-a");
    expect(stored).toMatchObject({ version: 1, state: { phase: "requested", app: "web", namespace: "shop" } });
  });

  test("compare-and-set: of two events racing from the same phase, exactly one wins", async () => {
    const ev = releaseEvents("rel-race");
    await rt.store.apply(ev("ReleaseRequested", { spec: spec() }));
    await rt.store.apply(ev("ReleasePlanned", { revision: 2, previousRevision: 1, fence: 1 }));
    const results = await Promise.all([
      rt.store.apply(ev("PodsLive", { revision: 2, ready: 2, desired: 2 })),
      rt.store.apply(ev("PodsFailed", { revision: 2, ready: 0, desired: 2, reason: "timeout", pods: [] })),
    ]);
    expect(results.map((r) => r.kind).sort()).toEqual(["applied", "refused"]);
    const stored = await rt.store.get("rel-race");
    expect(stored?.version).toBe(3);
    expect(["validating", "rolling_back"]).toContain(stored?.state.phase);
  });

  test("one release of an app at a time; the lock is released when the release ends", async () => {
    const a = releaseEvents("rel-1");
    const b = releaseEvents("rel-2");
    await rt.store.apply(a("ReleaseRequested", { spec: spec() }));
    await rt.store.apply(b("ReleaseRequested", { spec: spec() }));
    expect(await rt.store.acquireLock("shop", "web", "rel-1")).toEqual({ ok: true, fence: 1 });
    expect(await rt.store.acquireLock("shop", "web", "rel-1")).toEqual({ ok: true, fence: 1 });
    expect(await rt.store.acquireLock("shop", "web", "rel-2")).toEqual({ ok: false, holder: "rel-1" });
    await rt.store.apply(a("ReleasePlanned", { revision: 1, previousRevision: null, fence: 1 }));
    await rt.store.apply(a("ReleaseFailed", { stage: "pod-manager", cause: "x" }));
    expect(await rt.store.lockHolder("shop", "web")).toBeNull();
    expect(await rt.store.acquireLock("shop", "web", "rel-2")).toEqual({ ok: true, fence: 2 });
  });

  test("fencing: once a newer release holds the lock, the older one's writes are refused", async () => {
    const old = releaseEvents("rel-old");
    const nu = releaseEvents("rel-new");
    await rt.store.apply(old("ReleaseRequested", { spec: spec() }));
    expect(await rt.store.acquireLock("shop", "web", "rel-old")).toEqual({ ok: true, fence: 1 });
    await rt.store.apply(old("ReleasePlanned", { revision: 1, previousRevision: null, fence: 1 }));
    // The older release's lock is lost (its holder record is gone, e.g. an operator cleared it).
    await rt.redis.del(rt.store.keys.lock("shop/web"));
    await rt.store.apply(nu("ReleaseRequested", { spec: spec() }));
    expect(await rt.store.acquireLock("shop", "web", "rel-new")).toEqual({ ok: true, fence: 2 });
    const late = await rt.store.apply(old("PodsLive", { revision: 1, ready: 2, desired: 2 }));
    expect(late).toEqual({ kind: "refused", reason: "PodsLive refused: fenced by a newer release of shop/web (fence 2 > 1)" });
    expect((await rt.store.get("rel-old"))?.state.phase).toBe("planned");
    expect(await rt.store.isFenced((await rt.store.get("rel-old"))!.state)).toBe(true);
  });

  test("a lock whose holder has no state left is taken over with a higher fence", async () => {
    await rt.store.apply(releaseEvents("rel-x")("ReleaseRequested", { spec: spec() }));
    expect(await rt.store.acquireLock("shop", "web", "rel-x")).toEqual({ ok: true, fence: 1 });
    await rt.redis.del(rt.store.keys.state("shop/web", "rel-x"));
    await rt.store.apply(releaseEvents("rel-y")("ReleaseRequested", { spec: spec() }));
    expect(await rt.store.acquireLock("shop", "web", "rel-y")).toEqual({ ok: true, fence: 2 });
  });

  test("revisions grow past what the cluster has and stay the same on retry", async () => {
    expect(await rt.store.allocateRevision("shop", "web", "rel-1", 0)).toBe(1);
    expect(await rt.store.allocateRevision("shop", "web", "rel-1", 0)).toBe(1);
    expect(await rt.store.allocateRevision("shop", "web", "rel-2", 7)).toBe(8);
    expect(await rt.store.allocateRevision("shop", "web", "rel-3", 2)).toBe(9);
  });

  test("list shows recent releases, newest first", async () => {
    for (const id of ["rel-1", "rel-2", "rel-3"]) await rt.store.apply(releaseEvents(id, "web", "shop", Date.UTC(2026, 0, Number(id.at(-1))))("ReleaseRequested", { spec: spec() }));
    expect((await rt.store.list(2)).map((s) => s.releaseId)).toEqual(["rel-3", "rel-2"]);
  });
  test("the lock is taken only for a release still requested: one that ended meanwhile takes none (issue 22, item 5)", async () => {
    const a = releaseEvents("rel-late");
    await rt.store.apply(a("ReleaseRequested", { spec: spec() }));
    await rt.store.apply(a("ReleaseFailed", { stage: "planner", cause: "the release was not planned within 120s" }));
    expect(await rt.store.acquireLock("shop", "web", "rel-late")).toEqual({ ok: false, holder: null, phase: "failed" });
    expect(await rt.store.acquireLock("shop", "web", "rel-unknown")).toEqual({ ok: false, holder: null, phase: null });
    expect(await rt.store.lockHolder("shop", "web")).toBeNull();
  });

  test("a lock whose holder has ended is free: the next release takes it with a higher fence", async () => {
    const a = releaseEvents("rel-ended");
    const b = releaseEvents("rel-next");
    await rt.store.apply(a("ReleaseRequested", { spec: spec() }));
    await rt.store.apply(a("ReleaseFailed", { stage: "planner", cause: "x" }));
    // a lock left behind by the ended release (as the race above left it before the fix)
    await rt.redis.hset(rt.store.keys.lock("shop/web"), "rid", "rel-ended", "fence", "1");
    await rt.redis.set(rt.store.keys.fence("shop/web"), "1");
    await rt.store.apply(b("ReleaseRequested", { spec: spec() }));
    expect(await rt.store.acquireLock("shop", "web", "rel-next")).toEqual({ ok: true, fence: 2 });
  });
});
