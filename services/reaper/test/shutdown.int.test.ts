import { afterEach, beforeEach, describe, expect, test } from "vitest";
import { createMetrics } from "@baton/runtime";
import { waitFor } from "@baton/runtime/testing";
import { scaleToZero } from "../src/steps/v1-workload.js";
import {
  APP, NS, clientWrites, eventOf, eventsOf, givenRelease, givenRevision, podsOf, startReceiver, startWorld, waitForEnd,
  type Receiver, type World,
} from "./support.js";

// Given v1 and v2 in kube-sim and a release switched to v2, the reaper shuts v1 down: the delay,
// one scale-to-zero, the grace timer, the forced rest, the Deployment; then ReleaseCompleted.

let w: World;
let receiver: Receiver | undefined;
beforeEach(async () => {
  w = await startWorld();
});
afterEach(async () => {
  await receiver?.close();
  receiver = undefined;
  await w.stop();
});

const names = (events: { name: string }[]) => events.map((e) => e.name);

describe("reaper: shutting v1 down", () => {
  test("after the delay v1 is scaled to zero with one write; pods ignoring SIGTERM are forced down only when the grace timer fires; its Deployment goes", async () => {
    await givenRevision(w, 1, { replicas: 2, env: { DEMO_IGNORE_SIGTERM: "true" }, terminationGracePeriodSeconds: 600 });
    await givenRevision(w, 2, { replicas: 1 });
    const g = await givenRelease(w, "rel-shutdown", { revision: 2, previousRevision: 1, spec: { shutdown: { delaySeconds: 1, gracePeriodSeconds: 2 } } });

    const switchedAt = await g.publishSwitch();
    const drain = await waitFor("DrainStarted", async () => (await eventsOf(w, g.releaseId)).find((e) => e.name === "DrainStarted"));
    // v1 got SIGTERM but ignores it: its pods are still there while the grace period runs
    expect(await podsOf(w, 1)).toHaveLength(2);

    const end = await waitForEnd(w, g.releaseId);
    expect(end.phase).toBe("completed");
    const events = await eventsOf(w, g.releaseId);
    expect(names(events)).toEqual(["TrafficSwitched", "DrainDue", "DrainStarted", "ShutdownDue", "ReleaseCompleted"]);
    expect(eventOf(events, "DrainStarted").data).toMatchObject({ revision: 1, pods: 2, gracePeriodSeconds: 2 });
    expect(eventOf(events, "ReleaseCompleted").data).toMatchObject({ revision: 2, previousRevision: 1, forcedPods: 2, postRelease: [] });

    const writes = clientWrites(w.sim).filter((a) => Date.parse(a.time) >= switchedAt);
    const scale = writes.filter((a) => a.resource === "deployments" && a.name === `${APP}-1` && (a.verb === "patch" || a.verb === "update"));
    expect(scale).toHaveLength(1);
    expect(scale[0]).toMatchObject({ verb: "patch", subresource: "scale", body: { spec: { replicas: 0 } } });
    expect(Date.parse(scale[0]!.time)).toBeGreaterThanOrEqual(switchedAt + 1000); // not before the delay
    const forced = writes.filter((a) => a.resource === "pods" && a.verb === "delete");
    expect(forced).toHaveLength(2);
    for (const f of forced) expect(Date.parse(f.time)).toBeGreaterThanOrEqual(Date.parse(drain.time) + 2000 - 50);
    expect(writes.filter((a) => a.resource === "deployments" && a.verb === "delete").map((a) => a.name)).toEqual([`${APP}-1`]);
    // v2 is left alone (but for the Event that says it now serves production)
    expect(writes.filter((a) => a.name?.startsWith(`${APP}-2`) && a.resource !== "events")).toEqual([]);
    // and the reaper's Kubernetes Events tell it: the drain and the forced pods on v1, the completion on v2
    const told = () => clientWrites(w.sim).filter((a) => a.resource === "events").map((a) => a.body as { reason: string; involvedObject: { name: string } });
    const recorded = await waitFor("the completion's Events", () => (told().length === 3 ? told() : undefined));
    expect(recorded.map((e) => `${e.reason} ${e.involvedObject.name}`)).toEqual([`DrainStarted ${APP}-1`, `ForcedShutdown ${APP}-1`, `ReleaseCompleted ${APP}-2`]);

    await expect(w.apps.readNamespacedDeployment({ name: `${APP}-1`, namespace: NS })).rejects.toMatchObject({ code: 404 });
    expect(await podsOf(w, 1)).toHaveLength(0);
    expect(await podsOf(w, 2)).toHaveLength(1);
    expect(w.logs.text()).toContain("forced 2 v1 pod(s) down after the grace period");
  });

  test("a first release has no v1: it completes at once, runs its webhook with previousRevision null, and writes nothing to the cluster but its Event", async () => {
    receiver = await startReceiver();
    await givenRevision(w, 1, { replicas: 1 });
    const g = await givenRelease(w, "rel-first", {
      revision: 1,
      previousRevision: null,
      spec: { postRelease: [{ name: "notify", webhook: { url: receiver.url } }] },
    });

    const switchedAt = await g.publishSwitch();
    const end = await waitForEnd(w, g.releaseId);

    expect(end.phase).toBe("completed");
    const events = await eventsOf(w, g.releaseId);
    expect(names(events)).toEqual(["TrafficSwitched", "ReleaseCompleted"]);
    expect(eventOf(events, "ReleaseCompleted").data).toMatchObject({
      revision: 1,
      previousRevision: null,
      forcedPods: 0,
      postRelease: [{ name: "notify", kind: "webhook", ok: true }],
    });
    expect(receiver.received).toHaveLength(1);
    expect(JSON.parse(receiver.received[0]!.body)).toEqual({ releaseId: g.releaseId, app: APP, namespace: NS, revision: 1, previousRevision: null });
    const writes = await waitFor("the completion's Event", () => {
      const after = clientWrites(w.sim).filter((a) => Date.parse(a.time) >= switchedAt);
      return after.length > 0 ? after : undefined;
    });
    expect(writes.map((a) => `${a.verb} ${a.resource} ${(a.body as { reason?: string } | undefined)?.reason ?? ""}`)).toEqual(["create events ReleaseCompleted"]);
    expect(await podsOf(w, 1)).toHaveLength(1);
  });

  test("scaling v1 to zero is one write: a repeat (a redelivered DrainDue) finds it at zero and writes nothing; a Deployment already gone is no error", async () => {
    await givenRevision(w, 1, { replicas: 1 });
    const kube = { deps: { apps: w.apps, core: w.core, fetch }, metrics: createMetrics() };

    expect(await scaleToZero(kube, NS, `${APP}-1`)).toBe("scaled");
    expect(await scaleToZero(kube, NS, `${APP}-1`)).toBe("already-zero");
    expect(await scaleToZero(kube, NS, `${APP}-9`)).toBe("gone");

    const patches = clientWrites(w.sim).filter((a) => a.resource === "deployments" && a.verb === "patch");
    expect(patches.map((a) => a.name)).toEqual([`${APP}-1`]);
    expect((await w.apps.readNamespacedDeployment({ name: `${APP}-1`, namespace: NS })).spec?.replicas).toBe(0);
  });

  test("finalizing past its deadline fails the release, naming the reaper and what is left of v1", async () => {
    await givenRevision(w, 1, { replicas: 1 });
    const g = await givenRelease(w, "rel-late", { revision: 2, previousRevision: 1 });
    // The reaper never got ShutdownDue (down, or its message dead-lettered): the release sits in finalizing
    for (const e of [
      g.ev("TrafficSwitched", { from: 1, to: 2, endpoints: 1 }),
      g.ev("DrainDue", { revision: 1 }),
      g.ev("DrainStarted", { revision: 1, pods: 1, gracePeriodSeconds: 60 }),
      g.ev("ShutdownDue", { revision: 1 }),
    ]) {
      expect((await w.rt.store.apply(e)).kind).toBe("applied");
    }

    await w.rt.bus.publish(g.ev("DeadlineExceeded", { phase: "finalizing", deadlineSeconds: 300 }));
    const end = await waitForEnd(w, g.releaseId);

    expect(end.phase).toBe("failed");
    expect(end.outcome?.stage).toBe("reaper");
    expect(end.outcome?.reason).toContain("finalizing did not finish within 300s");
    expect(end.outcome?.reason).toContain(`Deployment ${APP}-1 still exists, 1 pod(s) left`);
    expect(names(await eventsOf(w, g.releaseId))).toEqual(["DeadlineExceeded", "ReleaseFailed"]);
    // and the lock is free for the next release
    expect(await w.rt.store.lockHolder(NS, APP)).toBeNull();
  });
});
