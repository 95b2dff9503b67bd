import { describe, expect, test } from "vitest";
import { makeEvent, transition, type AnyEvent, type ReleaseState } from "@baton/contracts";
import { releaseEvents, spec } from "@baton/contracts/testing";
import { kubeEventsFor } from "@baton/runtime";

// What a stage tells the cluster for each release event it emits: the objects, the reasons, the
// types (Warning for failures) and the words a person reads in `kubectl describe`.

function stateAfter(events: readonly AnyEvent[]): ReleaseState {
  let s: ReleaseState | undefined;
  for (const e of events) {
    const r = transition(s, e);
    if (r.kind === "refused") throw new Error(r.reason);
    s = r.state;
  }
  if (!s) throw new Error("no events");
  return s;
}

const next = releaseEvents("rel-9", "web", "shop");
const ev = {
  requested: next("ReleaseRequested", { spec: spec({ app: "web", namespace: "shop" }) }),
  planned: next("ReleasePlanned", { revision: 2, previousRevision: 1, fence: 1 }),
} as const;
const at = { source: "test", time: "2026-01-01T00:01:00.000Z" };
const base = { releaseId: "rel-9", app: "web", namespace: "shop" };

describe("kubeEventsFor", () => {
  test("PodsLive: Normal, on the revision's Deployment and the Release", () => {
    const live = makeEvent("PodsLive", { ...base, revision: 2, ready: 3, desired: 3 }, at);
    const got = kubeEventsFor(ev.planned, live, stateAfter([ev.requested, ev.planned]));
    expect(got).toEqual([
      { target: { kind: "Deployment", name: "web-2" }, type: "Normal", reason: "PodsLive", message: "Release rel-9: 3 of 3 pods of web-2 Ready" },
      { target: { kind: "Release" }, type: "Normal", reason: "PodsLive", message: "Release rel-9: 3 of 3 pods of web-2 Ready" },
    ]);
  });

  test("a rollback for failed validation: Warning ValidationFailed with the failed checks on the Deployment, then ReleaseRolledBack", () => {
    const failures = [{ name: "warmup", expected: "error rate <= 0.01", got: "0.5 (250 of 500)" }];
    const failed = makeEvent("ValidationFailed", { ...base, revision: 2, checks: [], warmup: null, failures }, at);
    const rolledBack = makeEvent("ReleaseRolledBack", { ...base, revision: 2, reason: "validation failed", failures }, at);
    const got = kubeEventsFor(failed, rolledBack, stateAfter([ev.requested, ev.planned]));
    expect(got.map((e) => [e.target.kind, e.type, e.reason])).toEqual([
      ["Deployment", "Warning", "ValidationFailed"],
      ["Deployment", "Warning", "ReleaseRolledBack"],
      ["Release", "Warning", "ReleaseRolledBack"],
    ]);
    expect(got[0]?.message).toBe("Release rel-9: revision 2 failed validation: warmup: expected error rate <= 0.01, got 0.5 (250 of 500)");
    expect(got[1]?.message).toBe("Release rel-9 rolled back: validation failed; production stays on revision 1");
  });

  test("the validator says ValidationFailed on the Release only (it acts on no Kubernetes object)", () => {
    const failed = makeEvent("ValidationFailed", { ...base, revision: 2, checks: [], warmup: null, failures: [{ name: "version", expected: "200", got: "500" }] }, at);
    expect(kubeEventsFor(ev.planned, failed, stateAfter([ev.requested, ev.planned])).map((e) => e.target.kind)).toEqual(["Release"]);
  });

  test("a completion with pods forced down: ForcedShutdown on the old Deployment, ReleaseCompleted on the new", () => {
    const done = makeEvent("ReleaseCompleted", { ...base, revision: 2, previousRevision: 1, forcedPods: 2, postRelease: [] }, at);
    const got = kubeEventsFor(ev.planned, done, stateAfter([ev.requested, ev.planned]));
    expect(got.map((e) => [e.target.kind === "Release" ? "Release" : e.target.name, e.type, e.reason])).toEqual([
      ["web-1", "Warning", "ForcedShutdown"],
      ["Release", "Warning", "ForcedShutdown"],
      ["web-2", "Normal", "ReleaseCompleted"],
      ["Release", "Normal", "ReleaseCompleted"],
    ]);
  });
});
