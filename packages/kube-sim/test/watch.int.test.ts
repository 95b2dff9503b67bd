// Watch streams through client-node's Watch: resume from a resourceVersion, bookmarks, 410
// Expired after the history moved on, label-selected watches. Runs against kube-sim, or a real API
// server with BATON_TEST_KUBECONFIG (see target.ts).
import * as k8s from "@kubernetes/client-node";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { failure, merge, waitFor } from "./support.js";
import { ON_REAL, openTarget, simOnly, type Target } from "./target.js";

let c: Target;
let ns: string;
beforeAll(async () => {
  c = await openTarget({ bookmarkIntervalMs: 100, watchHistorySize: 200 });
  ns = await c.namespace("watch");
});
afterAll(async () => {
  await c?.close();
});

interface Seen {
  type: string;
  name: string;
  rv: string;
  data?: Record<string, string>;
  annotations?: Record<string, string>;
}

async function watchConfigMaps(query: Record<string, string | boolean>): Promise<{ seen: Seen[]; stop: () => void; ended: Promise<unknown> }> {
  const seen: Seen[] = [];
  let end: (err: unknown) => void = () => {};
  const ended = new Promise((resolve) => (end = resolve));
  const ctl = await new k8s.Watch(c.kc).watch(
    `/api/v1/namespaces/${ns}/configmaps`,
    query,
    (type, obj: { metadata?: { name?: string; resourceVersion?: string; annotations?: Record<string, string> }; data?: Record<string, string> }) => {
      const annotations = obj.metadata?.annotations;
      seen.push({ type, name: obj.metadata?.name ?? "", rv: obj.metadata?.resourceVersion ?? "", ...(obj.data ? { data: obj.data } : {}), ...(annotations ? { annotations } : {}) });
    },
    (err) => end(err),
  );
  return { seen, stop: () => ctl.abort(), ended };
}

const cm = (name: string, labels: Record<string, string> = {}, data: Record<string, string> = {}) => c.core.createNamespacedConfigMap({ namespace: ns, body: { metadata: { name, labels }, data } });

describe("watch", () => {
  it("resumes after a resourceVersion with exactly the writes made since, in order", async () => {
    const first = await cm("w-a", {}, { v: "1" });
    const from = first.metadata?.resourceVersion ?? "";
    await c.core.patchNamespacedConfigMap({ name: "w-a", namespace: ns, body: { data: { v: "2" } } }, merge);
    await cm("w-b");
    await c.core.deleteNamespacedConfigMap({ name: "w-a", namespace: ns });
    const w = await watchConfigMaps({ resourceVersion: from });
    await waitFor("the three missed events", () => w.seen.length >= 3);
    w.stop();
    expect(w.seen.map((s) => [s.type, s.name])).toEqual([
      ["MODIFIED", "w-a"],
      ["ADDED", "w-b"],
      ["DELETED", "w-a"],
    ]);
    expect(w.seen[0]?.data).toEqual({ v: "2" });
    const rvs = w.seen.map((s) => Number(s.rv));
    expect([...rvs].sort((a, b) => a - b)).toEqual(rvs);
    expect(rvs[0]).toBeGreaterThan(Number(from));
  });

  it("starts with the current objects as ADDED when no resourceVersion is given, then follows changes", async () => {
    await cm("w-init", { set: "init" });
    const w = await watchConfigMaps({ labelSelector: "set=init" });
    await waitFor("the initial ADDED", () => w.seen.length >= 1);
    await c.core.patchNamespacedConfigMap({ name: "w-init", namespace: ns, body: { data: { k: "x" } } }, merge);
    await waitFor("the MODIFIED", () => w.seen.length >= 2);
    w.stop();
    expect(w.seen.map((s) => [s.type, s.name])).toEqual([
      ["ADDED", "w-init"],
      ["MODIFIED", "w-init"],
    ]);
  });

  it("ends the initial events with a BOOKMARK annotated k8s.io/initial-events-end (sendInitialEvents)", async () => {
    await cm("w-ie", { set: "ie" });
    const w = await watchConfigMaps({ labelSelector: "set=ie", sendInitialEvents: true, resourceVersionMatch: "NotOlderThan", allowWatchBookmarks: true });
    await waitFor("the end of the initial events", () => w.seen.some((s) => s.type === "BOOKMARK"));
    w.stop();
    expect(w.seen.map((s) => [s.type, s.name])).toEqual([
      ["ADDED", "w-ie"],
      ["BOOKMARK", ""],
    ]);
    expect(w.seen[1]?.annotations).toEqual({ "k8s.io/initial-events-end": "true" });
    expect(Number(w.seen[1]?.rv)).toBeGreaterThanOrEqual(Number(w.seen[0]?.rv));
  });

  it.skipIf(ON_REAL)(`sends BOOKMARK events carrying the current resourceVersion when asked${simOnly("kube-sim's bookmarkIntervalMs option; a real server sends them about once a minute")}`, async () => {
    const current = await cm("w-bm");
    const w = await watchConfigMaps({ resourceVersion: current.metadata?.resourceVersion ?? "", allowWatchBookmarks: true });
    await waitFor("a bookmark", () => w.seen.some((s) => s.type === "BOOKMARK"));
    w.stop();
    const bookmark = w.seen.find((s) => s.type === "BOOKMARK");
    expect(Number(bookmark?.rv)).toBeGreaterThanOrEqual(Number(current.metadata?.resourceVersion));
  });

  it("turns a label change that leaves the selection into DELETED and one that enters it into ADDED", async () => {
    await cm("w-move", { lane: "blue" });
    const w = await watchConfigMaps({ labelSelector: "lane=green", resourceVersion: "0" });
    await c.core.patchNamespacedConfigMap({ name: "w-move", namespace: ns, body: { metadata: { labels: { lane: "green" } } } }, merge);
    await c.core.patchNamespacedConfigMap({ name: "w-move", namespace: ns, body: { metadata: { labels: { lane: "blue" } } } }, merge);
    await waitFor("enter and leave", () => w.seen.length >= 2);
    w.stop();
    expect(w.seen.map((s) => s.type)).toEqual(["ADDED", "DELETED"]);
  });

  it.skipIf(ON_REAL)(`answers an ERROR event with a 410 Expired Status when the resourceVersion is older than the history${simOnly("kube-sim's watchHistorySize option; a real server keeps history until etcd compacts it, every 5 minutes")}`, async () => {
    const old = await cm("w-old");
    for (let i = 0; i < 210; i++) await c.core.patchNamespacedConfigMap({ name: "w-old", namespace: ns, body: { data: { i: String(i) } } }, merge);
    const errors: { code?: number; reason?: string }[] = [];
    const ctl = await new k8s.Watch(c.kc).watch(
      `/api/v1/namespaces/${ns}/configmaps`,
      { resourceVersion: old.metadata?.resourceVersion ?? "" },
      (type, obj: { code?: number; reason?: string }) => {
        if (type === "ERROR") errors.push(obj);
      },
      () => {},
    );
    await waitFor("the ERROR event", () => errors.length > 0);
    ctl.abort();
    expect(errors[0]).toMatchObject({ code: 410, reason: "Expired" });
  });

  it("validates ListOptions as the real server does: sendInitialEvents needs resourceVersionMatch=NotOlderThan and a watch", async () => {
    const noMatch = await failure(c.core.listNamespacedConfigMap({ namespace: ns, watch: true, sendInitialEvents: true, timeoutSeconds: 1 }));
    expect(noMatch).toMatchObject({
      code: 422,
      reason: "Invalid",
      message: 'ListOptions.meta.k8s.io "" is invalid: resourceVersionMatch: Forbidden: sendInitialEvents requires setting resourceVersionMatch to NotOlderThan',
      details: { group: "meta.k8s.io", kind: "ListOptions", causes: [{ reason: "FieldValueForbidden", message: "Forbidden: sendInitialEvents requires setting resourceVersionMatch to NotOlderThan", field: "resourceVersionMatch" }] },
    });
    const onList = await failure(c.core.listNamespacedConfigMap({ namespace: ns, sendInitialEvents: true }));
    expect(onList.message).toBe('ListOptions.meta.k8s.io "" is invalid: sendInitialEvents: Forbidden: sendInitialEvents is forbidden for list');
    const matchAlone = await failure(c.core.listNamespacedConfigMap({ namespace: ns, resourceVersionMatch: "Exact" }));
    expect(matchAlone.message).toBe('ListOptions.meta.k8s.io "" is invalid: resourceVersionMatch: Forbidden: resourceVersionMatch is forbidden unless resourceVersion is provided');
  });
});
