import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { LABEL_APP, LABEL_MANAGED_BY, LABEL_RELEASE, LABEL_REVISION } from "@baton/runtime";
import { waitFor } from "@baton/runtime/testing";
import { podManagerService } from "../src/index.js";
import { isGone, planRelease, startHarness, writesTo, type Harness } from "./harness.js";

// Issue 22, item 4: the pod-manager writes and deletes only objects Baton made. Given objects that
// carry the names Baton would use but were not made by Baton for this app (a team's own
// `<app>-preview`, the production Service of an app named `<app>-preview`, a `<app>-<rev>`
// Deployment Baton refused), when a release needs those names, then the release stops with the
// object and the reason, and those objects are left exactly as they were.

const NS = "shop";
let h: Harness;

beforeAll(async () => {
  h = await startHarness([podManagerService], [NS]);
});
afterAll(async () => {
  await h?.close();
});

/** The release's end (or that it went on to PodsLive, which it must not). */
async function outcome(releaseId: string) {
  return waitFor(`the end of ${releaseId}`, async () =>
    (await h.rt.bus.releaseEvents(releaseId)).find((e) => e.name === "ReleaseRolledBack" || e.name === "PodsLive"),
  );
}

const service = (name: string, labels: Record<string, string>, selector: Record<string, string>) =>
  h.core.createNamespacedService({ namespace: NS, body: { metadata: { name, labels }, spec: { selector, ports: [{ port: 80, targetPort: 8080 }] } } });

describe("pod-manager: only Baton's objects", () => {
  it.each<{ what: string; app: string; labels: Record<string, string>; why: string }>([
    {
      what: "a team's own Service <app>-preview",
      app: "own",
      labels: { team: "shop" },
      why: "Service shop/own-preview exists and was not made by Baton (no label app.kubernetes.io/managed-by=baton): Baton changes only objects it made",
    },
    {
      what: "the production Service of an app named <app>-preview",
      app: "pv",
      labels: { [LABEL_APP]: "pv-preview", [LABEL_MANAGED_BY]: "baton" },
      why: 'Service shop/pv-preview belongs to app "pv-preview", not "pv" (label app.kubernetes.io/name): Baton changes only the objects of the app it releases',
    },
  ])("$what is not patched: the release rolls back naming it, and v2 is torn down", async ({ app, labels, why }) => {
    const selector = { "app.kubernetes.io/name": `${app}-preview`, [LABEL_REVISION]: "4" };
    await service(`${app}-preview`, labels, selector);
    const r = await planRelease(h.rt, { releaseId: `rel-${app}`, app, namespace: NS, revision: 1, previousRevision: null, spec: { replicas: 1 } });

    const end = await outcome(r.releaseId);

    expect(end.name).toBe("ReleaseRolledBack");
    expect(end.name === "ReleaseRolledBack" && end.data.reason).toBe(why);
    const svc = await h.core.readNamespacedService({ name: `${app}-preview`, namespace: NS });
    expect(svc.spec?.selector).toEqual(selector);
    expect(writesTo(h.sim, "services", `${app}-preview`).map((a) => a.verb)).toEqual(["create"]); // the test's own
    await waitFor("v2 torn down", () => isGone(() => h.apps.readNamespacedDeployment({ name: `${app}-1`, namespace: NS })));
  });

  it.each<{ what: string; app: string; labels: Record<string, string>; by: RegExp }>([
    { what: "a team's own Deployment", app: "taken", labels: { [LABEL_APP]: "taken", [LABEL_REVISION]: "2" }, by: /was not made by Baton/ },
    {
      what: "another release's Deployment",
      app: "other",
      labels: { [LABEL_APP]: "other", [LABEL_REVISION]: "2", [LABEL_MANAGED_BY]: "baton", [LABEL_RELEASE]: "someone-else" },
      by: /was made by release someone-else, not rel-other/,
    },
  ])("$what named <app>-<rev> is refused, and the rollback does not delete it", async ({ app, labels, by }) => {
    const name = `${app}-2`;
    await h.apps.createNamespacedDeployment({
      namespace: NS,
      body: {
        metadata: { name, labels },
        spec: { replicas: 0, selector: { matchLabels: labels }, template: { metadata: { labels }, spec: { containers: [{ name: "app", image: "baton.dev/demo-app:9.0.0" }] } } },
      },
    });
    const r = await planRelease(h.rt, {
      releaseId: `rel-${app}`,
      app,
      namespace: NS,
      revision: 2,
      previousRevision: null,
      spec: { replicas: 1, podsLiveTimeoutSeconds: 2 },
    });

    const end = await outcome(r.releaseId);

    expect(end.name).toBe("ReleaseRolledBack");
    expect(end.name === "ReleaseRolledBack" && end.data.reason).toMatch(by);
    expect(end.name === "ReleaseRolledBack" && end.data.reason).toMatch(new RegExp(`^Deployment shop/${name} `));
    await waitFor("the rollback's deletes done", () => isGone(() => h.core.readNamespacedService({ name: `${app}-preview`, namespace: NS })));
    expect((await h.apps.readNamespacedDeployment({ name, namespace: NS })).metadata?.labels).toEqual(labels);
    expect(writesTo(h.sim, "deployments", name).filter((a) => a.verb === "delete")).toEqual([]);
  });
});
