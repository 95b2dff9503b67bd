import { afterEach, describe, expect, test } from "vitest";
import { namespace, startFaulty, type Faulty } from "./faulty.js";

// Phases that could wait for ever (issue 22, item 7): v1's shutdown meets an API server that
// answers 503 for 5 s, one that refuses (403), and one that never answers a call. Transient errors
// are retried for minutes (not 4 s), a call has a timeout, and `draining` (like every non-terminal
// phase) has a deadline that ends the release when nothing else can.

let f: Faulty | undefined;
afterEach(async () => {
  await f?.stop();
  f = undefined;
});

const SCALE = /^\/apis\/apps\/v1\/namespaces\/shop\/deployments\/web-1\/scale$/;
const v1 = { image: "baton.dev/demo-app:1.0.0", replicas: 1 };
const v2 = {
  image: "baton.dev/demo-app:2.0.0",
  replicas: 1,
  validation: { tests: [{ name: "version", request: { path: "/version" }, expect: { status: 200, bodyContains: "2.0.0" } }] },
  shutdown: { delaySeconds: 0, gracePeriodSeconds: 1 },
};

async function given(overrides: Record<string, string | number> = {}): Promise<Faulty> {
  f = await startFaulty({ overrides });
  await namespace(f);
  expect((await f.waitForEnd(await f.releaseOk(v1))).phase).toBe("completed");
  return f;
}

const scaledToZero = (f: Faulty) => f.writes().filter((w) => w.resource === "deployments" && w.name === "web-1" && w.subresource === "scale").length;

describe("v1's shutdown against a failing API server", () => {
  test("5 s of 503 on deployments/scale: retried with backoff, the release completes, v1 scaled to zero once, no dead letter", async () => {
    const f = await given();
    f.proxy.add({ path: SCALE, status: 503, forMs: 5000 });
    const id = await f.releaseOk(v2);
    const end = await f.waitForEnd(id, 60_000);
    expect(end.phase, JSON.stringify(end.outcome)).toBe("completed");
    expect(scaledToZero(f)).toBe(1);
    expect(await f.deadLetters()).toEqual([]);
  });

  test("a call to the API server that never answers times out and is retried: the release completes", async () => {
    const f = await given({ BATON_KUBE_TIMEOUT_MS: 1000 });
    const hang = f.proxy.add({ method: "GET", path: SCALE, hang: true, times: 1 });
    const id = await f.releaseOk(v2);
    const end = await f.waitForEnd(id, 30_000);
    expect(hang.hits()).toBe(1);
    expect(end.phase, JSON.stringify(end.outcome)).toBe("completed");
    expect(scaledToZero(f)).toBe(1);
  });

  test("the scale is refused (403): the message is dead-lettered at once, and the draining deadline fails the release and frees the app", async () => {
    const f = await given({ BATON_DEADLINE_DRAINING_S: 2 });
    f.proxy.add({ method: "PATCH", path: SCALE, status: 403 });
    const id = await f.releaseOk(v2);
    const end = await f.waitForEnd(id, 30_000);
    expect(end.phase).toBe("failed");
    expect(end.deadlinesExceeded).toEqual(["draining"]);
    expect(end.outcome).toMatchObject({ stage: "reaper", reason: expect.stringContaining("draining did not finish within 3s") });
    const letters = await f.deadLetters();
    expect(letters.map((l) => [l.stage, l.event, l.kind, l.attempts])).toEqual([["reaper", "DrainDue", "terminal", 1]]);
    expect(await f.rt.store.lockHolder("shop", "web")).toBeNull();
    expect((await f.release(v2)).ok).toBe(true); // the next release of the app is not refused
  });
});
