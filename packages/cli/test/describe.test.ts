import { describe, expect, test } from "vitest";
import { releaseEvents, spec } from "@baton/contracts/testing";
import { describeEvent } from "../src/describe.js";

// Issue 20: the words of the timeline (`baton events`, the live display): counts agree with their
// noun, and a revision with nothing live before it is not called the "first release" when an
// earlier revision was rolled back.

const check = (name: string) => ({ name, passed: true, expected: "status 200", got: "status 200", latencyMs: 2 });

describe("how events read", () => {
  test("one check passed, two checks passed; warm-up counts agree with their noun", () => {
    const ev = releaseEvents();
    expect(describeEvent(ev("ValidationPassed", { revision: 2, checks: [check("version")], warmup: null }))).toBe("1 check passed");
    expect(describeEvent(ev("ValidationPassed", { revision: 2, checks: [check("a"), check("b")], warmup: null }))).toBe("2 checks passed");
    const warmup = { requests: 1, errors: 1, errorRate: 1, maxErrorRate: 1, p50Ms: 1, p99Ms: 1, passed: true };
    expect(describeEvent(ev("ValidationPassed", { revision: 2, checks: [], warmup }))).toBe("0 checks passed, warm-up 1 request, 1 error");
    expect(describeEvent(ev("DrainStarted", { revision: 1, pods: 1, gracePeriodSeconds: 5 }))).toBe("1 v1 pod draining, grace 5s");
  });

  test("revision 2 planned with no live revision (revision 1 was rolled back) is the first live revision, not the first release", () => {
    const ev = releaseEvents();
    const text = describeEvent(ev("ReleasePlanned", { revision: 2, previousRevision: null, fence: 2 }));
    expect(text).toBe("revision 2 (first live revision)");
    expect(describeEvent(ev("ReleasePlanned", { revision: 3, previousRevision: 2, fence: 3 }))).toBe("revision 3 (live: 2)");
  });

  test("a request says who asked and the CloudEvent it came as (issue 23: provenance)", () => {
    const ev = releaseEvents();
    const asked = { spec: spec({ image: "baton.dev/demo-app:2.0.0", replicas: 2 }) };
    const head = "shop/web → baton.dev/demo-app:2.0.0 (2 replicas, promotion auto)";
    expect(describeEvent(ev("ReleaseRequested", asked))).toBe(head);
    expect(describeEvent(ev("ReleaseRequested", { ...asked, requestedBy: "alice" }))).toBe(`${head} by alice`);
    const requestedVia = { source: "https://ci.example.com/shop/web", id: "build-881", subject: "main@4f2c1e0" };
    expect(describeEvent(ev("ReleaseRequested", { ...asked, requestedVia }))).toBe(`${head}, via https://ci.example.com/shop/web (id build-881, subject main@4f2c1e0)`);
  });
});
