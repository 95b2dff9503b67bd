import { afterEach, describe, expect, test } from "vitest";
import { spawnStage, STAGE_NAMES, type StageProc } from "./procs.js";
import { given, sideEffects, startRig, type Rig } from "./rig.js";

// A rolling update of every stage while releases flow: a second process of each stage starts, both
// run side by side (sharing each stage's durable consumers), then the old one gets SIGTERM and
// finishes what it holds. No Kubernetes write is made twice, no release is lost.

let rig: Rig | undefined;
const extra: StageProc[] = [];
afterEach(async () => {
  await Promise.all(extra.splice(0).map((p) => p.kill("SIGTERM")));
  await rig?.stop();
  rig = undefined;
});

const APPS = ["ant", "bee", "cat", "dog"];
const spec = (app: string, version: string) => ({
  app,
  image: `baton.dev/demo-app:${version}`,
  replicas: 2,
  validation: { tests: [{ name: "version", request: { path: "/version" }, expect: { status: 200, bodyContains: version } }], warmup: { requests: 40, concurrency: 4 } },
  shutdown: { delaySeconds: 1, gracePeriodSeconds: 1 },
});

async function releaseAll(r: Rig, version: string): Promise<string[]> {
  return Promise.all(APPS.map((app) => r.releaseOk(spec(app, version))));
}

async function expectAllCompleted(r: Rig, ids: readonly string[]): Promise<void> {
  for (const id of ids) {
    const end = await r.waitForEnd(id);
    expect(end.phase, `${id}: ${JSON.stringify(end.outcome)}`).toBe("completed");
  }
}

describe("two instances of each stage overlapping, as in a rolling update", () => {
  test("old and new processes of all five stages side by side while 8 releases flow, then the old ones stop: each write once", async () => {
    rig = await startRig();
    await given(rig);
    await expectAllCompleted(rig, await releaseAll(rig, "1.0.0"));

    // When a second process of every stage starts (both generations now consume)
    const old = new Map(STAGE_NAMES.map((s) => [s, rig?.procs.get(s) as StageProc]));
    const env = rig.env;
    extra.push(...(await Promise.all(STAGE_NAMES.map((stage) => spawnStage([stage], env)))));
    // and releases flow while the old generation is stopped, one stage after the other
    const second = await releaseAll(rig, "2.0.0");
    for (const stage of STAGE_NAMES) await old.get(stage)?.kill("SIGTERM");
    await expectAllCompleted(rig, second);
    // and a third round runs on the new generation alone
    await expectAllCompleted(rig, await releaseAll(rig, "3.0.0"));

    // Then every release of every app made each of its writes once
    const writes = rig.writes();
    for (const app of APPS) {
      expect(sideEffects(writes, app, 2, 1), `${app} v2`).toEqual({
        deploymentCreated: 1, productionSwitched: 2, productionCreated: 1, v1ScaledToZero: 1, v1PodsForced: 0, v1Deleted: 1,
      });
      expect(sideEffects(writes, app, 3, 2), `${app} v3`).toMatchObject({ deploymentCreated: 1, v1ScaledToZero: 1, v1Deleted: 1 });
      const deployments = await rig.apps.listNamespacedDeployment({ namespace: "shop", labelSelector: `app.kubernetes.io/name=${app}` });
      expect(deployments.items.map((d) => d.metadata?.name)).toEqual([`${app}-3`]);
    }
  }, 110_000);
});
