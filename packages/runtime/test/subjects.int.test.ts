import { afterEach, beforeEach, describe, expect, test } from "vitest";
import { encodeEvent } from "@baton/contracts";
import { spec } from "@baton/contracts/testing";
import { emit, eventOf, listDeadLetters, startStage, type RunningStage } from "@baton/runtime";
import { openTestRuntime, waitFor, type TestRuntime } from "@baton/runtime/testing";

// Issue 22, item 3: NATS authorizes who may publish on which subject, and an event's subject
// carries its namespace, app and release (`<prefix>.evt.<type>.<namespace>.<app>.<releaseId>`).
// That is only an authorization if a stage acts on nothing but what the subject names: a control
// event published where team-a may publish, but naming team-b's release in its data, must change
// nothing of team-b's release.

let rt: TestRuntime;
let stage: RunningStage | undefined;
beforeEach(async () => {
  rt = await openTestRuntime();
});
afterEach(async () => {
  await stage?.stop();
  stage = undefined;
  await rt.cleanup();
});

const theirs = { releaseId: "rel-b", app: "pay", namespace: "team-b" };

describe("a stage acts only on what the subject names", () => {
  test("an AbortRequested for team-b's release, published on a team-a subject, is dead-lettered and changes nothing", async () => {
    const aborted: string[] = [];
    stage = await startStage({ name: "pod-manager", handlers: { AbortRequested: async (ctx) => void aborted.push(ctx.release.releaseId) } }, rt);
    await emit(rt, "test", eventOf(rt, "intake", theirs, "ReleaseRequested", { spec: spec({ app: "pay", namespace: "team-b" }) }));

    const forged = eventOf(rt, "cli", theirs, "AbortRequested", { by: "mallory", reason: "not yours" });
    await rt.bus.publishRaw(rt.bus.subjects.event("AbortRequested", "team-a", "pay", "rel-b"), encodeEvent(forged), "forged-1");

    const letter = await waitFor("the forged event in the dead letters", async () => (await listDeadLetters(rt.bus)).find((l) => l.event === "AbortRequested"));
    expect(letter.kind).toBe("terminal");
    expect(letter.error).toBe(
      `the subject ${rt.bus.subjects.event("AbortRequested", "team-a", "pay", "rel-b")} does not name the event's release (team-b/pay rel-b): not applied`,
    );
    expect(aborted).toEqual([]);
    expect((await rt.store.get("rel-b"))?.state.phase).toBe("requested");

    // the same event on its own subject is applied
    await rt.bus.publish(forged);
    await waitFor("aborted", async () => aborted.length === 1);
    expect((await rt.store.get("rel-b"))?.state.phase).toBe("rolling_back");
  });
});
