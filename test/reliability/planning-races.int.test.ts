import { afterEach, describe, expect, test } from "vitest";
import { waitFor } from "@baton/runtime/testing";
import { namespace, startFaulty, type Faulty } from "./faulty.js";

// Races around planning (issue 22, items 5 and 11): a release that ends while the planner still
// works on it must not leave the app's lock behind, and an abort before planning ends at once.

let f: Faulty | undefined;
afterEach(async () => {
  await f?.stop();
  f = undefined;
});

const spec = (extra: Record<string, unknown> = {}) => ({ image: "baton.dev/demo-app:1.0.0", replicas: 1, ...extra });

describe("a release that ends before it is planned", () => {
  test("the requested deadline fails it while the planner waits on a slow namespace read: no lock is left, the next release of the app is planned", async () => {
    f = await startFaulty({ stages: ["planner"], overrides: { BATON_DEADLINE_REQUESTED_S: 1 } });
    await namespace(f);
    // Given the planner's read of the namespace hangs for the first release
    const slow = f.proxy.add({ method: "GET", path: /^\/api\/v1\/namespaces\/shop$/, hold: true, times: 1 });
    const first = await f.releaseOk(spec());
    await slow.hit;
    // When the requested deadline fails it meanwhile, and only then the read answers
    expect((await f.waitForEnd(first, 10_000)).phase).toBe("failed");
    slow.release();
    await waitFor("the planner to finish with the first release", async () => slow.hits() === 1 && (await f!.rt.bus.releaseEvents(first)).length >= 3);
    await new Promise((r) => setTimeout(r, 300));
    // Then the ended release holds no lock, and the next release of the app is planned
    expect(await f.rt.store.lockHolder("shop", "web")).toBeNull();
    const second = await f.releaseOk(spec());
    const planned = await f.waitForPhase(second, "planned", 10_000);
    expect(planned.revision).toBe(1);
    expect((await f.events(first)).map((e) => e.name)).toEqual(["ReleaseRequested", "DeadlineExceeded", "ReleaseFailed"]);
  });

  test("an abort of a release still in `requested` ends it rolled_back at once, with nothing created", async () => {
    f = await startFaulty({ stages: ["planner", "pod-manager", "traffic-switcher"] });
    await namespace(f);
    const slow = f.proxy.add({ method: "GET", path: /^\/api\/v1\/namespaces\/shop$/, hold: true, times: 1 });
    const id = await f.releaseOk(spec());
    await slow.hit;
    expect((await f.abort(id)).accepted).toBe(true);
    const end = await f.waitForEnd(id, 5000);
    slow.release();
    expect(end.phase).toBe("rolled_back");
    expect(end.outcome?.reason).toContain("aborted by reliability");
    await new Promise((r) => setTimeout(r, 500));
    expect((await f.deadLetters()).map((d) => `${d.stage} ${d.event}: ${d.error}`)).toEqual([]);
    expect(f.writes().filter((w) => w.resource !== "namespaces")).toEqual([]); // nothing but the test's namespace
    expect(await f.rt.store.lockHolder("shop", "web")).toBeNull();
    expect((await f.state(id))?.phase).toBe("rolled_back");
  });
});
