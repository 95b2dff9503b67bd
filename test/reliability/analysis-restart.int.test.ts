import { createServer, type Server } from "node:http";
import { afterAll, beforeAll, describe, expect, test } from "vitest";
import { freePort, waitFor } from "@baton/runtime/testing";
import { given, startRig, type Rig } from "./rig.js";

// Issue 14: the durable, exactly-once guarantees extend to analysis. kill -9 of the validator in
// the middle of an analysis — once while a measurement's query is in flight, once while it waits
// for the next measurement's timer — then a restart: no measurement is lost, none is recorded
// twice, and the release goes on as if nothing happened.

let rig: Rig;
let server: Server;
let url: string;
const inFlight = new Set<() => void>();
let calls = 0;

beforeAll(async () => {
  const port = await freePort();
  // A JSON endpoint that answers after 800 ms, so a kill can land while a query waits for it.
  server = createServer((_req, res) => {
    calls++;
    const answer = () => {
      inFlight.delete(answer);
      res.writeHead(200, { "content-type": "application/json" }).end(JSON.stringify({ ok: 1 }));
    };
    inFlight.add(answer);
    setTimeout(answer, 800);
  });
  await new Promise<void>((r) => server.listen(port, "127.0.0.1", r));
  url = `http://127.0.0.1:${port}/health`;
  rig = await startRig({ overrides: { BATON_WEBHOOK_ALLOWED_HOSTS: "127.0.0.1" } });
  await given(rig);
}, 120_000);

afterAll(async () => {
  await rig?.stop();
  await new Promise((r) => server?.close(r));
});

describe("kill -9 of the validator during an analysis", () => {
  test("while a query is in flight and while it waits for the next timer: every measurement once, in order, none lost", async () => {
    const first = await rig.releaseOk({ app: "foxtrot", image: "baton.dev/demo-app:1.0.0", replicas: 1 });
    expect((await rig.waitForEnd(first)).phase).toBe("completed");
    const id = await rig.releaseOk({
      app: "foxtrot",
      image: "baton.dev/demo-app:2.0.0",
      replicas: 1,
      shutdown: { delaySeconds: 0, gracePeriodSeconds: 1 },
      analysis: { prePromotion: [{ name: "health", web: { url, jsonPath: "$.ok" }, successCondition: "result == 1", interval: 1, count: 4 }] },
    });
    // When the validator dies while the first measurement's query waits for its answer
    await rig.waitForPhase(id, "analyzing");
    await waitFor("a query in flight", () => inFlight.size > 0, 10_000, 5);
    await rig.kill("validator");
    expect((await rig.state(id))?.analysis?.prePromotion?.measurements ?? []).toHaveLength(0);
    await rig.start("validator");
    // and again once two measurements are recorded, between two timers
    await waitFor("two measurements", async () => ((await rig.state(id))?.analysis?.prePromotion?.measurements.length ?? 0) >= 2 && inFlight.size === 0, 20_000, 5);
    await rig.kill("validator");
    await rig.start("validator");

    // Then the analysis passes with measurements #0..#3, each recorded once
    const end = await rig.waitForEnd(id);
    expect(end.phase, JSON.stringify(end.outcome)).toBe("completed");
    const events = await rig.events(id);
    const taken = events.filter((e) => e.name === "MeasurementTaken").map((e) => (e.data as { index: number }).index);
    expect(taken).toEqual([0, 1, 2, 3]);
    expect(end.analysis?.prePromotion?.measurements.map((m) => m.index)).toEqual([0, 1, 2, 3]);
    expect(events.filter((e) => e.name === "AnalysisPassed")).toHaveLength(1);
    // the query cut short by the first kill was made again: one call more than the measurements
    expect(calls).toBeGreaterThanOrEqual(5);
  });
});
