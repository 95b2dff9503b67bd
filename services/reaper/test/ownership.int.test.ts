import { PatchStrategy, setHeaderOptions } from "@kubernetes/client-node";
import { afterEach, beforeEach, describe, expect, test } from "vitest";
import { waitFor } from "@baton/runtime/testing";
import { APP, NS, clientWrites, eventsOf, givenRelease, givenRevision, podsOf, startWorld, waitForEnd, type World } from "./support.js";

// Issue 22, item 4: the reaper scales down and deletes only a v1 Baton made. Given a v1 Deployment
// with Baton's name for it but not made by Baton (or relabelled while it drains), when the reaper's
// timers fire, then it leaves it and its pods as they are, and the release fails naming it.

let w: World;
beforeEach(async () => {
  w = await startWorld();
});
afterEach(async () => {
  await w.stop();
});

const NOT_BATONS = "Deployment shop/web-1 exists and was not made by Baton (no label app.kubernetes.io/managed-by=baton): Baton changes only objects it made";

describe("reaper: only Baton's v1", () => {
  test("a v1 Deployment Baton did not make is not scaled down: the release fails naming it, production stays on v2", async () => {
    await givenRevision(w, 1, { replicas: 1, madeBy: null });
    await givenRevision(w, 2, { replicas: 1 });
    const g = await givenRelease(w, "rel-not-ours", { revision: 2, previousRevision: 1, spec: { shutdown: { delaySeconds: 0, gracePeriodSeconds: 0 } } });
    const at = await g.publishSwitch();

    const end = await waitForEnd(w, g.releaseId);

    expect(end.phase).toBe("failed");
    expect(end.outcome).toMatchObject({ stage: "reaper", reason: `${NOT_BATONS}; v1 was left as it is (production is on revision 2)` });
    expect(clientWrites(w.sim).filter((a) => Date.parse(a.time) >= at)).toEqual([]);
    expect((await w.apps.readNamespacedDeployment({ name: `${APP}-1`, namespace: NS })).spec?.replicas).toBe(1);
    expect(await podsOf(w, 1)).toHaveLength(1);
  });

  test("relabelled while draining: its pods are not forced down and it is not deleted", async () => {
    await givenRevision(w, 1, { replicas: 1 });
    await givenRevision(w, 2, { replicas: 1 });
    const g = await givenRelease(w, "rel-relabelled", { revision: 2, previousRevision: 1, spec: { shutdown: { delaySeconds: 0, gracePeriodSeconds: 2 } } });
    await g.publishSwitch();
    await waitFor("DrainStarted", async () => (await eventsOf(w, g.releaseId)).some((e) => e.name === "DrainStarted"));
    await w.apps.patchNamespacedDeployment(
      { name: `${APP}-1`, namespace: NS, body: { metadata: { labels: { "app.kubernetes.io/managed-by": "team-shop" } } } },
      setHeaderOptions("Content-Type", PatchStrategy.MergePatch),
    );
    const at = Date.now();

    const end = await waitForEnd(w, g.releaseId);

    expect(end.phase).toBe("failed");
    expect(end.outcome?.reason).toMatch(/^Deployment shop\/web-1 exists and was not made by Baton/);
    expect(clientWrites(w.sim).filter((a) => Date.parse(a.time) >= at && a.verb === "delete")).toEqual([]);
    expect((await w.apps.readNamespacedDeployment({ name: `${APP}-1`, namespace: NS })).metadata?.name).toBe(`${APP}-1`);
  });
});
