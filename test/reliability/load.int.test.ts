import { afterAll, beforeAll, describe, expect, test } from "vitest";
import { isTerminal, type ReleaseState } from "@baton/contracts";
import { waitFor } from "@baton/runtime/testing";
import { waitQuiet } from "./quiet.js";
import { given, startRig, type Rig } from "./rig.js";

// 200 releases of 200 different apps submitted at once to one set of stage processes: every one
// completes, none is lost, none is duplicated — each release's events are the exact sequence, and
// each app got one Deployment and one production Service.

const N = 200;
const SEQUENCE = ["ReleaseRequested", "ReleasePlanned", "PodsLive", "ValidationPassed", "TrafficSwitched", "ReleaseCompleted"];

let rig: Rig;
beforeAll(async () => {
  rig = await startRig();
  await given(rig);
}, 120_000);
afterAll(async () => {
  await rig?.stop();
});

describe("load", () => {
  test(`${N} concurrent releases of different apps: all complete, none lost, none duplicated`, async () => {
    const apps = Array.from({ length: N }, (_, i) => `app-${String(i).padStart(3, "0")}`);
    const t0 = Date.now();
    const ids = await Promise.all(
      apps.map((app) =>
        rig.releaseOk({ app, image: "baton.dev/demo-app:1.0.0", replicas: 1, validation: { tests: [{ name: "v", request: { path: "/version" }, expect: { status: 200, bodyContains: "1.0.0" } }] } }),
      ),
    );
    expect(new Set(ids).size).toBe(N);
    const ends = await waitFor(`${N} releases to end`, async () => {
      const states = await Promise.all(ids.map((id) => rig.state(id)));
      return states.every((s) => s !== undefined && isTerminal(s.phase)) ? (states as ReleaseState[]) : undefined;
    }, 50_000, 250);
    const seconds = (Date.now() - t0) / 1000;
    await waitQuiet(rig.rt);
    // all completed
    expect(ends.filter((s) => s.phase !== "completed").map((s) => `${s.app}: ${s.phase} ${JSON.stringify(s.outcome)}`)).toEqual([]);
    // none lost or made up: the store knows exactly these releases, the stream exactly their events
    const raw = await rig.rt.bus.readAll(rig.rt.bus.subjects.eventsStream, rig.rt.bus.subjects.allEvents);
    expect(raw).toHaveLength(N * SEQUENCE.length);
    const byRelease = new Map<string, string[]>();
    for (const m of raw) {
      const e = JSON.parse(m.data) as { type: string; subject: string; id: string };
      byRelease.set(e.subject, [...(byRelease.get(e.subject) ?? []), e.id]);
    }
    expect([...byRelease.keys()].sort()).toEqual([...ids].sort());
    for (const id of ids) {
      expect((await rig.state(id))?.applied).toEqual(byRelease.get(id));
      expect((await rig.events(id)).map((e) => e.name), id).toEqual(SEQUENCE);
    }
    // one Deployment and one production Service per app, nothing else created twice
    const writes = rig.writes();
    const creates = writes.filter((w) => w.verb === "create" && w.resource === "deployments").map((w) => w.name);
    expect(creates.sort()).toEqual(apps.map((a) => `${a}-1`).sort());
    const services = writes.filter((w) => w.verb === "create" && w.resource === "services" && apps.includes(w.name ?? "")).map((w) => w.name);
    expect(services.sort()).toEqual([...apps].sort());
    console.info(`[load] ${N} releases ended in ${seconds.toFixed(1)} s (${(N / seconds).toFixed(1)} releases/s)`);
  }, 90_000);
});
