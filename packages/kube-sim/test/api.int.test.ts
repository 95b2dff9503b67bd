// The API server through the real @kubernetes/client-node: CRUD, Status errors, optimistic
// concurrency, label selectors, the three patch kinds, custom resources, the audit. Runs against
// kube-sim, or a real API server with BATON_TEST_KUBECONFIG (see target.ts).
import { randomBytes } from "node:crypto";
import * as k8s from "@kubernetes/client-node";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { deployment, failure, merge, strategic } from "./support.js";
import { ON_REAL, openTarget, raw, simOnly, type Target } from "./target.js";

let c: Target;
let ns: string;
beforeAll(async () => {
  c = await openTarget();
  ns = await c.namespace("api");
});
afterAll(async () => {
  await c?.close();
});

describe("CRUD and Status errors", () => {
  it("creates, reads, replaces and deletes a Secret, with a new resourceVersion on every write", async () => {
    const created = await c.core.createNamespacedSecret({ namespace: ns, body: { metadata: { name: "db" }, stringData: { password: "s3cret" } } });
    expect(created.data?.password).toBe(Buffer.from("s3cret").toString("base64"));
    expect(created.metadata?.uid).toMatch(/^[0-9a-f-]{36}$/);
    const read = await c.core.readNamespacedSecret({ name: "db", namespace: ns });
    expect(read.metadata?.resourceVersion).toBe(created.metadata?.resourceVersion);
    read.data = { password: Buffer.from("other").toString("base64") };
    const replaced = await c.core.replaceNamespacedSecret({ name: "db", namespace: ns, body: read });
    expect(Number(replaced.metadata?.resourceVersion)).toBeGreaterThan(Number(created.metadata?.resourceVersion));
    await c.core.deleteNamespacedSecret({ name: "db", namespace: ns });
    const gone = await failure(c.core.readNamespacedSecret({ name: "db", namespace: ns }));
    expect(gone).toMatchObject({ code: 404, reason: "NotFound", message: 'secrets "db" not found' });
  });

  it("answers 409 AlreadyExists for a second create and 404 for a missing namespace", async () => {
    await c.core.createNamespacedConfigMap({ namespace: ns, body: { metadata: { name: "twice" }, data: { a: "1" } } });
    const again = await failure(c.core.createNamespacedConfigMap({ namespace: ns, body: { metadata: { name: "twice" } } }));
    expect(again).toMatchObject({ code: 409, reason: "AlreadyExists", message: 'configmaps "twice" already exists' });
    const noNs = await failure(c.core.createNamespacedConfigMap({ namespace: "nowhere", body: { metadata: { name: "x" } } }));
    expect(noNs).toMatchObject({ code: 404, reason: "NotFound", message: 'namespaces "nowhere" not found' });
  });

  it("answers 422 Invalid with field causes for a bad name and a pod without containers", async () => {
    const badName = await failure(c.core.createNamespacedConfigMap({ namespace: ns, body: { metadata: { name: "Bad_Name" } } }));
    expect(badName.code).toBe(422);
    expect(badName.reason).toBe("Invalid");
    expect(badName.message).toContain('ConfigMap "Bad_Name" is invalid: metadata.name: Invalid value: "Bad_Name"');
    const noContainers = await failure(c.core.createNamespacedPod({ namespace: ns, body: { metadata: { name: "empty" }, spec: { containers: [] } } }));
    expect(noContainers).toMatchObject({ code: 422, reason: "Invalid", message: 'Pod "empty" is invalid: spec.containers: Required value' });
    expect(noContainers.details?.causes).toEqual([{ reason: "FieldValueRequired", message: "Required value", field: "spec.containers" }]);
  });

  it("refuses a replace carrying a stale resourceVersion with 409 Conflict", async () => {
    const first = await c.core.createNamespacedConfigMap({ namespace: ns, body: { metadata: { name: "occ" }, data: { v: "1" } } });
    await c.core.replaceNamespacedConfigMap({ name: "occ", namespace: ns, body: { ...first, data: { v: "2" } } });
    const stale = await failure(c.core.replaceNamespacedConfigMap({ name: "occ", namespace: ns, body: { ...first, data: { v: "3" } } }));
    expect(stale).toMatchObject({ code: 409, reason: "Conflict" });
    expect(stale.message).toBe('Operation cannot be fulfilled on configmaps "occ": the object has been modified; please apply your changes to the latest version and try again');
    expect((await c.core.readNamespacedConfigMap({ name: "occ", namespace: ns })).data).toEqual({ v: "2" });
  });
});

describe("objects stored as a Go server keeps them", () => {
  it("prints times in UTC whole seconds (a MicroTime in microseconds) and leaves out omitempty zero values", async () => {
    const body = { metadata: { name: "kept" }, involvedObject: { kind: "Pod", name: "p", namespace: ns }, reason: "R", message: "", count: 0, firstTimestamp: "2026-01-02T05:04:05.987+02:00", eventTime: "2026-01-02T05:04:05.123456+02:00", reportingComponent: "test", reportingInstance: "here", action: "Checked", type: "Normal" };
    const res = await raw(c, "POST", `/api/v1/namespaces/${ns}/events`, { headers: { "Content-Type": "application/json" }, body: JSON.stringify(body) });
    expect(res.status).toBe(201);
    const stored = JSON.parse(res.body.toString()) as Record<string, unknown>;
    expect([stored.firstTimestamp, stored.eventTime, "message" in stored, "count" in stored]).toEqual(["2026-01-02T03:04:05Z", "2026-01-02T03:04:05.123456Z", false, false]);
    const nanos = await raw(c, "POST", `/api/v1/namespaces/${ns}/events`, { headers: { "Content-Type": "application/json" }, body: JSON.stringify({ ...body, metadata: { name: "nanos" }, eventTime: "2026-01-02T03:04:05.123456789Z" }) });
    expect(nanos.status).toBe(400);
  });
});

describe("lists, deletion and request errors as a real server answers them", () => {
  const cmPath = () => `/api/v1/namespaces/${ns}/configmaps`;
  const json = (res: { body: Buffer }) => JSON.parse(res.body.toString()) as Record<string, any>;
  beforeAll(async () => {
    for (const [name, tier] of [["ls-a", "x"], ["ls-b", "x"], ["ls-c", "y"]]) await c.core.createNamespacedConfigMap({ namespace: ns, body: { metadata: { name, labels: { ls: "1", tier: tier ?? "" } } } });
  });

  it("pages a list with limit and continue, counting what remains only without a selector", async () => {
    const first = await c.core.listNamespacedConfigMap({ namespace: ns, labelSelector: "ls", limit: 2 });
    expect([first.items.map((i) => i.metadata?.name), first.metadata?.remainingItemCount]).toEqual([["ls-a", "ls-b"], undefined]);
    const rest = await c.core.listNamespacedConfigMap({ namespace: ns, labelSelector: "ls", limit: 2, _continue: first.metadata?._continue ?? "" });
    expect([rest.items.map((i) => i.metadata?.name), rest.metadata?._continue]).toEqual([["ls-c"], undefined]);
    const unselected = await c.core.listNamespacedConfigMap({ namespace: ns, limit: 1 });
    expect(unselected.metadata?.remainingItemCount).toBeGreaterThanOrEqual(2);
  });

  it("names the field selectors a kind does not have", async () => {
    expect(await failure(c.core.listNamespacedConfigMap({ namespace: ns, fieldSelector: "data.x=1" }))).toMatchObject({ code: 400, reason: "BadRequest", message: '"data.x" is not a known field selector: only "metadata.name", "metadata.namespace"' });
    expect(await failure(c.core.listNamespacedPod({ namespace: ns, fieldSelector: "spec.bogus=1" }))).toMatchObject({ code: 400, message: "field label not supported: spec.bogus" });
    const running = await c.core.listNamespacedPod({ namespace: ns, fieldSelector: "status.phase=Running,spec.nodeName=nowhere" });
    expect(running.items).toEqual([]);
  });

  it("deletes a collection by label, answering the deleted objects as a list", async () => {
    const res = json(await raw(c, "DELETE", `${cmPath()}?labelSelector=tier%3Dy`));
    expect([res.kind, res.items.map((i: { metadata: { name: string } }) => i.metadata.name), res.items[0].kind]).toEqual(["ConfigMapList", ["ls-c"], undefined]);
    expect((await c.core.listNamespacedConfigMap({ namespace: ns, labelSelector: "ls" })).items.map((i) => i.metadata?.name)).toEqual(["ls-a", "ls-b"]);
  });

  it("refuses a delete whose preconditions do not hold, and an unknown propagation policy", async () => {
    const uid = await failure(c.core.deleteNamespacedConfigMap({ name: "ls-a", namespace: ns, body: { preconditions: { uid: "not-it" } } }));
    expect(uid).toMatchObject({ code: 409, reason: "Conflict", details: { name: "ls-a", kind: "ConfigMap" } });
    expect(uid.message).toMatch(/^Operation cannot be fulfilled on ConfigMap "ls-a": the UID in the precondition \(not-it\) does not match the UID in record \(.+\)\. The object might have been deleted and then recreated$/);
    const rv = await failure(c.core.deleteNamespacedConfigMap({ name: "ls-a", namespace: ns, body: { preconditions: { resourceVersion: "1" } } }));
    expect(rv.message).toMatch(/the ResourceVersion in the precondition \(1\) does not match the ResourceVersion in record/);
    const policy = await failure(c.core.deleteNamespacedConfigMap({ name: "ls-a", namespace: ns, propagationPolicy: "Sideways" }));
    expect(policy).toMatchObject({ code: 422, reason: "Invalid", message: 'DeleteOptions.meta.k8s.io "" is invalid: propagationPolicy: Unsupported value: "Sideways": supported values: "Foreground", "Background", "Orphan", "nil"' });
  });

  it("answers malformed patches with the real codes", async () => {
    const patch = (type: string, body: unknown, query = "") => raw(c, "PATCH", `${cmPath()}/ls-b${query}`, { headers: { "Content-Type": type }, body: JSON.stringify(body) });
    expect(json(await patch("text/plain", {}))).toMatchObject({ code: 415, reason: "UnsupportedMediaType", message: "415: Unsupported Media Type" });
    expect(json(await patch("application/merge-patch+json", [1]))).toMatchObject({ code: 400, message: "error decoding patch: json: cannot unmarshal array into Go value of type map[string]interface {}" });
    expect(json(await patch("application/json-patch+json", [{ op: "frob", path: "/data" }]))).toMatchObject({ code: 422, reason: "Invalid" });
    expect(json(await patch("application/apply-patch+yaml", { apiVersion: "v1", kind: "ConfigMap", metadata: { name: "ls-b" } }))).toMatchObject({
      code: 422,
      reason: "Invalid",
      message: 'PatchOptions.meta.k8s.io "" is invalid: fieldManager: Required value: is required for apply patch',
    });
  });
});

describe("server-side field validation", () => {
  const post = (query: string, body: unknown) => raw(c, "POST", `/api/v1/namespaces/${ns}/configmaps${query}`, { headers: { "Content-Type": "application/json" }, body: JSON.stringify(body) });
  const status = (res: { body: Buffer }) => JSON.parse(res.body.toString()) as { code: number; reason: string; message: string };
  const withUnknown = (name: string) => ({ apiVersion: "v1", kind: "ConfigMap", metadata: { name, bogus: 1 }, data: { a: "b" }, extra: { x: 1 } });

  it("refuses unknown fields with fieldValidation=Strict (as kubectl sends), naming them in document order", async () => {
    const res = await post("?fieldValidation=Strict", withUnknown("strict"));
    expect(status(res)).toMatchObject({
      code: 400,
      reason: "BadRequest",
      message: 'ConfigMap in version "v1" cannot be handled as a ConfigMap: strict decoding error: unknown field "metadata.bogus", unknown field "extra"',
    });
  });

  it("drops unknown fields by default, with a Warning header for each", async () => {
    const res = await post("", withUnknown("warned"));
    expect(res.status).toBe(201);
    // Node joins repeated headers with ", ".
    expect(res.headers.warning).toBe('299 - "unknown field \\"metadata.bogus\\"", 299 - "unknown field \\"extra\\""');
    const stored = await c.core.readNamespacedConfigMap({ name: "warned", namespace: ns });
    expect([stored.data, (stored as Record<string, unknown>).extra, (stored.metadata as Record<string, unknown>).bogus]).toEqual([{ a: "b" }, undefined, undefined]);
  });

  it("refuses a value of the wrong type, and an unknown fieldValidation", async () => {
    const wrong = status(await post("", { apiVersion: "v1", kind: "ConfigMap", metadata: { name: "typed" }, data: { a: 1 } }));
    expect(wrong).toMatchObject({ code: 400, reason: "BadRequest" });
    expect(wrong.message).toMatch(/^ConfigMap in version "v1" cannot be handled as a ConfigMap: /);
    const bogus = status(await post("?fieldValidation=Bogus", { metadata: { name: "bogus" } }));
    expect(bogus).toMatchObject({ code: 422, reason: "Invalid", message: 'CreateOptions.meta.k8s.io "" is invalid: fieldValidation: Unsupported value: "Bogus": supported values: "", "Ignore", "Strict", "Warn"' });
  });

  it("refuses an unknown field a patch adds, with Strict, as a 422 on the patch", async () => {
    await c.apps.createNamespacedDeployment({ namespace: ns, body: deployment("fv", 0) });
    const res = await raw(c, "PATCH", `/apis/apps/v1/namespaces/${ns}/deployments/fv?fieldValidation=Strict`, { headers: { "Content-Type": "application/merge-patch+json" }, body: JSON.stringify({ spec: { nope: 1 } }) });
    const s = status(res);
    expect([s.code, s.reason]).toEqual([422, "Invalid"]);
    expect(s.message).toMatch(/^ "" is invalid: patch: Invalid value: ".*": strict decoding error: unknown field "spec.nope"$/s);
  });
});

describe("label selectors", () => {
  beforeAll(async () => {
    const make = (name: string, labels: Record<string, string>) => c.core.createNamespacedConfigMap({ namespace: ns, body: { metadata: { name, labels } } });
    await make("sel-a", { group: "sel", tier: "web", track: "stable" });
    await make("sel-b", { group: "sel", tier: "db" });
    await make("sel-c", { group: "sel", tier: "cache", track: "canary" });
    await make("sel-d", { group: "sel", tier: "" });
  });
  const names = async (labelSelector: string) => (await c.core.listNamespacedConfigMap({ namespace: ns, labelSelector })).items.map((i) => i.metadata?.name);

  it("selects by equality, inequality, set and existence", async () => {
    expect(await names("group=sel,tier=web")).toEqual(["sel-a"]);
    expect(await names("group=sel,tier!=web")).toEqual(["sel-b", "sel-c", "sel-d"]);
    expect(await names("group=sel,tier in (db,cache)")).toEqual(["sel-b", "sel-c"]);
    expect(await names("group=sel,tier notin (db)")).toEqual(["sel-a", "sel-c", "sel-d"]);
    expect(await names("group=sel,track")).toEqual(["sel-a", "sel-c"]);
    expect(await names("group=sel,!track")).toEqual(["sel-b", "sel-d"]);
  });

  it("reads an empty value set as the empty value, as the Go parser does", async () => {
    expect(await names("group=sel,tier in ()")).toEqual(["sel-d"]);
  });

  it("answers 400 for a selector it cannot parse", async () => {
    const bad = await failure(c.core.listNamespacedConfigMap({ namespace: ns, labelSelector: "tier in (" }));
    expect(bad).toMatchObject({ code: 400, reason: "BadRequest" });
    expect(bad.message).toMatch(/^unable to parse requirement: /);
  });
});

describe("patches", () => {
  it("merge patch sets and removes keys (null deletes)", async () => {
    await c.core.createNamespacedConfigMap({ namespace: ns, body: { metadata: { name: "mp", labels: { a: "1", b: "2" } }, data: { x: "1" } } });
    const patched = await c.core.patchNamespacedConfigMap({ name: "mp", namespace: ns, body: { metadata: { labels: { b: null, c: "3" } }, data: { y: "2" } } }, merge);
    expect(patched.metadata?.labels).toEqual({ a: "1", c: "3" });
    expect(patched.data).toEqual({ x: "1", y: "2" });
  });

  it("strategic merge patch merges containers by name, keeping the others", async () => {
    const d = deployment("smp", 0);
    d.spec!.template.spec!.containers.push({ name: "sidecar", image: "busybox:1.36" });
    await c.apps.createNamespacedDeployment({ namespace: ns, body: d });
    const body = { spec: { template: { spec: { containers: [{ name: "app", image: "baton.dev/demo-app:2.0.0", env: [{ name: "DEMO_LATENCY_MS", value: "5" }] }] } } } };
    const patched = await c.apps.patchNamespacedDeployment({ name: "smp", namespace: ns, body }, strategic);
    const containers = patched.spec?.template.spec?.containers ?? [];
    expect(containers.map((x) => [x.name, x.image])).toEqual([
      ["app", "baton.dev/demo-app:2.0.0"],
      ["sidecar", "busybox:1.36"],
    ]);
    expect(containers[0]?.ports?.[0]?.containerPort).toBe(8080);
    expect(containers[0]?.env).toEqual([{ name: "DEMO_LATENCY_MS", value: "5" }]);
    expect(patched.metadata?.generation).toBe(2);
  });

  it("JSON patch applies operations in order and answers 422 when a test fails", async () => {
    await c.core.createNamespacedConfigMap({ namespace: ns, body: { metadata: { name: "jp" }, data: { a: "1" } } });
    const ops = [
      { op: "test", path: "/data/a", value: "1" },
      { op: "add", path: "/data/b", value: "2" },
      { op: "remove", path: "/data/a" },
    ];
    const patched = await c.core.patchNamespacedConfigMap({ name: "jp", namespace: ns, body: ops });
    expect(patched.data).toEqual({ b: "2" });
    const failed = await failure(c.core.patchNamespacedConfigMap({ name: "jp", namespace: ns, body: [{ op: "test", path: "/data/b", value: "nope" }] }));
    expect(failed.code).toBe(422);
    expect((await c.core.readNamespacedConfigMap({ name: "jp", namespace: ns })).data).toEqual({ b: "2" });
  });
});

describe("custom resources", () => {
  // A group of the test's own: a shared real API server may already serve baton.dev's Release.
  const group = `t${randomBytes(3).toString("hex")}.kube-sim.test`;
  const crd: k8s.V1CustomResourceDefinition = {
    metadata: { name: `releases.${group}` },
    spec: {
      group,
      scope: "Namespaced",
      names: { plural: "releases", singular: "release", kind: "Release" },
      versions: [
        {
          name: "v1alpha1",
          served: true,
          storage: true,
          subresources: { status: {} },
          schema: {
            openAPIV3Schema: {
              type: "object",
              properties: {
                spec: { type: "object", required: ["app"], properties: { app: { type: "string" }, replicas: { type: "integer", minimum: 0 } } },
                status: { type: "object", properties: { phase: { type: "string" } } },
              },
            },
          },
        },
      ],
    },
  };
  const target = () => ({ group, version: "v1alpha1", namespace: ns, plural: "releases" });

  it("serves a custom resource once its CRD is Established, validates it by the schema, and deletes it with the CRD", async () => {
    const created = await c.ext.createCustomResourceDefinition({ body: crd });
    expect(created.metadata?.finalizers ?? []).toEqual([]);
    await expect.poll(async () => (await c.ext.readCustomResourceDefinition({ name: crd.metadata?.name ?? "" })).status?.conditions?.find((x) => x.type === "Established")?.status).toBe("True");
    const body = { apiVersion: `${group}/v1alpha1`, kind: "Release", metadata: { name: "r1" }, spec: { app: "web", replicas: 2, unknown: "pruned" } };
    const cr = (await c.custom.createNamespacedCustomObject({ ...target(), body })) as { spec: Record<string, unknown>; metadata: { generation: number } };
    expect(cr.spec).toEqual({ app: "web", replicas: 2 });
    expect(cr.metadata.generation).toBe(1);
    const bad = await failure(c.custom.createNamespacedCustomObject({ ...target(), body: { ...body, metadata: { name: "r2" }, spec: { replicas: -1 } } }));
    expect(bad).toMatchObject({ code: 422, reason: "Invalid" });
    const strict = await raw(c, "POST", `/apis/${group}/v1alpha1/namespaces/${ns}/releases?fieldValidation=Strict`, {
      headers: { "Content-Type": "application/json" },
      body: JSON.stringify({ ...body, metadata: { name: "r3" }, spec: { app: "web", zz: 1 }, extra: 2 }),
    });
    expect(JSON.parse(strict.body.toString())).toMatchObject({
      code: 400,
      reason: "BadRequest",
      message: 'Release in version "v1alpha1" cannot be handled as a Release: strict decoding error: unknown field "extra", unknown field "spec.zz"',
    });
    const patched = (await c.custom.patchNamespacedCustomObject({ ...target(), name: "r1", body: { spec: { replicas: 3 } } }, merge)) as { spec: Record<string, unknown>; metadata: { generation: number } };
    expect(patched.spec).toEqual({ app: "web", replicas: 3 });
    expect(patched.metadata.generation).toBe(2);
    const list = (await c.custom.listNamespacedCustomObject(target())) as { items: unknown[]; kind: string };
    expect(list.kind).toBe("ReleaseList");
    expect(list.items).toHaveLength(1);
    await c.ext.deleteCustomResourceDefinition({ name: crd.metadata?.name ?? "" });
    await expect.poll(async () => (await failure(c.ext.readCustomResourceDefinition({ name: crd.metadata?.name ?? "" }))).code, { timeout: 30_000 }).toBe(404);
    const after = await failure(c.custom.getNamespacedCustomObject({ ...target(), name: "r1" }));
    expect(after).toEqual({ code: 404, reason: "", message: "404 page not found" });
  });
});

describe.skipIf(ON_REAL)(`audit${simOnly("kube-sim's own audit endpoint")}`, () => {
  it("records client writes with user, code and body, and controller writes as system:kube-sim", async () => {
    const sim = c.sim as NonNullable<Target["sim"]>;
    await c.apps.createNamespacedDeployment({ namespace: ns, body: deployment("audited", 2) });
    await expect.poll(() => sim.audit().filter((a) => a.resource === "pods" && a.verb === "create").length).toBeGreaterThanOrEqual(2);
    const audit = sim.audit();
    const mine = audit.find((a) => a.resource === "deployments" && a.name === "audited" && a.verb === "create");
    expect(mine).toMatchObject({ user: "kube-sim-admin", code: 201, group: "apps", version: "v1", namespace: ns });
    expect((mine?.body as { metadata: { name: string } }).metadata.name).toBe("audited");
    const podCreates = audit.filter((a) => a.resource === "pods" && a.verb === "create" && a.name?.startsWith("audited-"));
    expect(podCreates.every((a) => a.user === "system:kube-sim" && a.body === undefined)).toBe(true);
    const rsCreate = audit.find((a) => a.resource === "replicasets" && a.verb === "create" && a.name?.startsWith("audited-"));
    expect(rsCreate?.user).toBe("system:kube-sim");
    expect(audit.map((a) => a.seq)).toEqual(audit.map((_, i) => i + 1));
  });
});
