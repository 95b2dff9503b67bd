import fc from "fast-check";
import { afterAll, beforeAll, describe, expect, test } from "vitest";
import { parseIntake, type Reason } from "@baton/contracts";
import { badIntake, fullSpec, names, oversizedIntake, type BadCase } from "./bad-intake.js";
import { healthz } from "./procs.js";
import { given, startRig, type Rig } from "./rig.js";

// 10,000+ generated bad intake messages (fast-check, fixed seed) sent with request/reply to a
// running planner process: every one is answered ok:false with reasons that name the broken fields
// and a rule; no service process restarts; a valid release afterwards completes.

const SEED = 20_260_701;
const CASES = 10_000;
const IN_FLIGHT = 64;

let rig: Rig;
beforeAll(async () => {
  rig = await startRig();
  await given(rig);
}, 120_000);
afterAll(async () => {
  await rig?.stop();
});

interface Reply {
  ok: boolean;
  releaseId?: string;
  reasons?: Reason[];
  error?: string;
}

async function ask(payload: string): Promise<Reply> {
  const m = await rig.rt.bus.nc.request(rig.rt.bus.subjects.intake, payload, { timeout: 20_000 });
  return m.json<Reply>();
}

/** Why a reply is not the refusal the case deserves, or undefined when it is. */
function wrong(c: BadCase, r: Reply): string | undefined {
  if (r.ok !== false) return "accepted";
  if (!r.reasons || r.reasons.length === 0) return `no reasons (${r.error ?? ""})`;
  const vague = r.reasons.find((x) => typeof x.path !== "string" || x.path === "" || typeof x.rule !== "string" || x.rule.trim() === "");
  if (vague) return `a reason without a field or a rule: ${JSON.stringify(vague)}`;
  const unnamed = c.named.filter((f) => !r.reasons?.some((x) => names(x.path, f)));
  return unnamed.length > 0 ? `fields not named: ${unnamed.join(", ")} (reasons: ${r.reasons.map((x) => x.message).join("; ")})` : undefined;
}

describe("generated bad intake at volume", () => {
  test(`${CASES.toLocaleString("en")} bad messages over every field: each refused with reasons naming the field and the rule; no restart; a valid release completes after`, async () => {
    expect(parseIntake(JSON.stringify(fullSpec()), { allowedNamespaces: "*" }).ok).toBe(true); // the base the generator breaks is valid
    const pids = [...rig.procs.values()].map((p) => p.pid);
    const cases = [...fc.sample(badIntake, { numRuns: CASES, seed: SEED }), ...fc.sample(oversizedIntake, { numRuns: 20, seed: SEED })];
    const kinds = new Map<string, number>();
    const failures: string[] = [];
    for (let i = 0; i < cases.length; i += IN_FLIGHT) {
      const batch = cases.slice(i, i + IN_FLIGHT);
      const replies = await Promise.all(batch.map((c) => ask(c.payload)));
      batch.forEach((c, k) => {
        kinds.set(c.kind, (kinds.get(c.kind) ?? 0) + 1);
        const why = wrong(c, replies[k] as Reply);
        if (why && failures.length < 10) failures.push(`${why}\n  payload: ${c.payload.slice(0, 400)}`);
      });
    }
    expect(failures).toEqual([]);
    expect(cases.length).toBeGreaterThanOrEqual(10_000);
    expect([...kinds.keys()].sort()).toEqual(["cloudevent", "malformed JSON", "not an object", "oversized", "spec"]);
    // every field path of the spec was broken at least once
    const broken = new Set(cases.flatMap((c) => c.named.map((n) => n.replace(/^data\./, "").split(/[.[]/)[0])));
    expect([...broken].sort()).toEqual(expect.arrayContaining(Object.keys(fullSpec()).concat("releaseId", "(body)").sort()));
    // no service process died or restarted, and each still answers /healthz
    expect([...rig.procs.values()].map((p) => p.pid)).toEqual(pids);
    for (const p of rig.procs.values()) {
      expect(p.alive(), p.stage).toBe(true);
      expect(await healthz(p), p.stage).toBe(200);
    }
    // and a valid release goes through afterwards
    const id = await rig.releaseOk({ app: "after", image: "baton.dev/demo-app:1.0.0", replicas: 1 });
    expect((await rig.waitForEnd(id)).phase).toBe("completed");
  }, 120_000);
});
