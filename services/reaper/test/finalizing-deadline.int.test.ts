import { afterEach, beforeEach, describe, expect, test } from "vitest";
import { givenRelease, givenRevision, startReceiver, startWorld, waitForEnd, type Receiver, type World } from "./support.js";

// Retries of a transient failure back off for minutes (issue 22, item 7), bounded by the phase's
// deadline: a post-release activity still failing when another run could not finish before the
// finalizing deadline is recorded as failed — the release completes (production is on v2) instead
// of being failed by its deadline.

let w: World;
let receiver: Receiver | undefined;
beforeEach(async () => {
  w = await startWorld({ BATON_DEADLINE_FINALIZING_S: 2 }); // deadline: 2 s + the activity's 1 s
  await givenRevision(w, 1, { replicas: 1 });
  await givenRevision(w, 2, { replicas: 1 });
});
afterEach(async () => {
  await receiver?.close();
  receiver = undefined;
  await w.stop();
});

describe("reaper: retries bounded by the finalizing deadline", () => {
  test("a webhook answering 503 with no time left for another run before the deadline: the release completes with the activity failed", async () => {
    receiver = await startReceiver([], { always: 503 });
    const g = await givenRelease(w, "rel-hook-deadline", {
      revision: 2,
      previousRevision: 1,
      spec: { shutdown: { delaySeconds: 0, gracePeriodSeconds: 0 }, postRelease: [{ name: "notify", timeoutSeconds: 1, webhook: { url: receiver.url } }] },
    });
    await g.publishSwitch();
    const end = await waitForEnd(w, g.releaseId);
    expect(end.phase, JSON.stringify(end.outcome)).toBe("completed");
    expect(end.deadlinesExceeded).toEqual([]);
    expect(end.postRelease[0]).toMatchObject({ name: "notify", ok: false });
    expect(end.postRelease[0]?.detail).toMatch(/HTTP 503.*gave up/);
  });
});
