// Kubernetes protobuf on the wire, as kubectl's imperative commands and client-go (Prometheus'
// service discovery) speak it: bodies in, objects, lists, Status errors, discovery and watch frames
// out, for every built-in kind kube-sim serves; custom resources JSON only. Runs against kube-sim, or
// a real API server with BATON_TEST_KUBECONFIG (see target.ts): there it checks our codec against
// the real server's own encoding.
import { randomBytes } from "node:crypto";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { ResourceRegistry } from "../src/api/resources.js";
import { decodeObject, decodeWatchEvent, encodeObject, unframe } from "../src/protobuf/index.js";
import { samples, type Sample } from "./protobuf-samples.js";
import { merge, waitFor } from "./support.js";
import { ON_REAL, openTarget, raw, rawStream, simOnly, type RawResponse, type Target } from "./target.js";

const PROTOBUF = "application/vnd.kubernetes.protobuf";
const JSON_TYPE = "application/json";
const CLIENT_GO_ACCEPT = `${PROTOBUF}, ${JSON_TYPE}`;

let c: Target;
let ns: string;
const suffix = randomBytes(2).toString("hex");
const clusterScoped: string[] = [];

beforeAll(async () => {
  c = await openTarget();
  ns = await c.namespace("pb");
});
afterAll(async () => {
  for (const path of clusterScoped.reverse()) await raw(c, "DELETE", path).catch(() => undefined);
  await c?.close();
});

type Json = Record<string, unknown>;

const resourceLists = new Map<string, { name: string; kind: string; namespaced: boolean }[]>();

/** The collection path of a kind, from the server's discovery (as kubectl finds it). */
async function collection(obj: Sample): Promise<string> {
  const gv = obj.apiVersion ?? "";
  const base = gv.includes("/") ? `/apis/${gv}` : `/api/${gv}`;
  let list = resourceLists.get(gv);
  if (!list) {
    list = (JSON.parse((await raw(c, "GET", base)).body.toString()) as { resources: { name: string; kind: string; namespaced: boolean }[] }).resources;
    resourceLists.set(gv, list);
  }
  const r = list.find((x) => x.kind === obj.kind && !x.name.includes("/"));
  if (!r) throw new Error(`the server does not serve ${gv} ${obj.kind}`);
  return r.namespaced ? `${base}/namespaces/${ns}/${r.name}` : `${base}/${r.name}`;
}

function parse(res: RawResponse): Json {
  if (res.contentType.startsWith(PROTOBUF)) return decodeObject(res.body);
  return JSON.parse(res.body.toString("utf8")) as Json;
}

const TIME = /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?Z$/;

/**
 * Null and absent are one for a JSON client: a Go server prints a nil list as null where its
 * protobuf has nothing. What two creates of the same object may differ in: identity, times, the allocated cluster IP (and
 * kube-sim's load-balancer port), the token volume a real server's ServiceAccount admission adds with
 * a random name.
 */
function normalize(value: unknown): unknown {
  if (Array.isArray(value)) return value.filter((v) => !/^kube-api-access-/.test((v as { name?: string } | null)?.name ?? "")).map(normalize);
  if (typeof value === "string") return TIME.test(value) ? "<time>" : value;
  if (typeof value !== "object" || value === null) return value;
  const out: Json = {};
  for (const [k, v] of Object.entries(value)) {
    if (v === null) continue;
    if (["uid", "resourceVersion", "managedFields", "clusterIP", "clusterIPs", "loadBalancer", "sim.baton.dev/address"].includes(k)) continue;
    out[k] = normalize(v);
  }
  return out;
}

describe("every built-in kind", () => {
  const registry = new ResourceRegistry();
  const builtins = registry.storedTypes().filter((t) => !t.isCustom);
  const all = samples("ns", "x");

  /** The samples of the kinds kube-sim serves (the same ones on a real server). */
  const served = (all: Record<string, Sample>) => builtins.map((t) => all[`${t.apiVersion} ${t.kind}`]).filter((x): x is Sample => x !== undefined);

  it("has a sample here (a kind added to kube-sim needs one)", () => {
    expect(builtins.map((t) => `${t.apiVersion} ${t.kind}`).filter((k) => !all[k])).toEqual([]);
  });

  it("creates the same object from a protobuf body as from JSON, answering JSON or protobuf alike (dry run)", async () => {
    for (const sample of served(samples(ns, `rt${suffix}`))) {
      const path = `${await collection(sample)}?dryRun=All`;
      const viaJson = await raw(c, "POST", path, { headers: { "Content-Type": JSON_TYPE, Accept: JSON_TYPE }, body: JSON.stringify(sample) });
      expect([sample.kind, viaJson.status]).toEqual([sample.kind, 201]);
      const viaProtobuf = await raw(c, "POST", path, { headers: { "Content-Type": PROTOBUF, Accept: JSON_TYPE }, body: encodeObject(sample) });
      expect([sample.kind, viaProtobuf.status, viaProtobuf.contentType]).toEqual([sample.kind, 201, JSON_TYPE]);
      expect(normalize(parse(viaProtobuf))).toEqual(normalize(parse(viaJson)));
      const both = await raw(c, "POST", path, { headers: { "Content-Type": PROTOBUF, Accept: CLIENT_GO_ACCEPT }, body: encodeObject(sample) });
      expect([sample.kind, both.status, both.contentType]).toEqual([sample.kind, 201, PROTOBUF]);
      expect(normalize(parse(both))).toEqual(normalize(parse(viaJson)));
    }
  });

  it("answers a get in protobuf that decodes to its JSON answer, and kube-sim's encoding of that JSON decodes back to it", async () => {
    for (const sample of served(samples(ns, `get${suffix}`))) {
      const path = await collection(sample);
      const created = await raw(c, "POST", path, { headers: { "Content-Type": JSON_TYPE }, body: JSON.stringify(sample) });
      expect([sample.kind, created.status]).toEqual([sample.kind, 201]);
      const name = sample.metadata?.name ?? "";
      if (!sample.metadata?.namespace) clusterScoped.push(`${path}/${name}`);
      // Controllers may write between the two reads: read both until they are of one resourceVersion.
      const [json, pb] = await waitFor(`one version of ${sample.kind} ${name}`, async () => {
        const j = parse(await raw(c, "GET", `${path}/${name}`, { headers: { Accept: JSON_TYPE } }));
        const p = await raw(c, "GET", `${path}/${name}`, { headers: { Accept: CLIENT_GO_ACCEPT } });
        const decoded = parse(p);
        const rv = (o: Json) => (o.metadata as { resourceVersion?: string }).resourceVersion;
        return p.contentType === PROTOBUF && rv(j) === rv(decoded) && ([j, decoded] as const);
      });
      expect(pb).toEqual(json);
      expect(decodeObject(encodeObject(json))).toEqual(json);
    }
  });

  it("lists in protobuf: the items of the JSON list, as a <Kind>List", async () => {
    for (const sample of served(samples(ns, `get${suffix}`))) {
      const path = `${await collection(sample)}?fieldSelector=${encodeURIComponent(`metadata.name=${sample.metadata?.name}`)}`;
      const json = parse(await raw(c, "GET", path, { headers: { Accept: JSON_TYPE } }));
      const pb = await raw(c, "GET", path, { headers: { Accept: CLIENT_GO_ACCEPT } });
      expect(pb.contentType).toBe(PROTOBUF);
      const list = parse(pb);
      expect([list.kind, (list.items as unknown[] | undefined)?.length, list.message]).toEqual([`${sample.kind}List`, 1, undefined]);
      expect(list.items).toEqual(json.items);
    }
  });
});

describe("protobuf", () => {
  it("answers the scale subresource in protobuf and takes a Scale in protobuf", async () => {
    const d = samples(ns, `scale${suffix}`)["apps/v1 Deployment"] as Sample;
    await c.apps.createNamespacedDeployment({ namespace: ns, body: d });
    const path = `/apis/apps/v1/namespaces/${ns}/deployments/${d.metadata?.name}/scale`;
    const read = async () => parse(await raw(c, "GET", path, { headers: { Accept: PROTOBUF } }));
    expect(await read()).toMatchObject({ apiVersion: "autoscaling/v1", kind: "Scale", spec: {}, status: { selector: `app=scale${suffix},baton.dev/test in (protobuf)` } });
    // Read, change, write with the resourceVersion read, as a client does: on a real cluster the
    // deployment controller may write the Deployment in between (409), and the client reads again.
    let put: Awaited<ReturnType<typeof raw>> | undefined;
    for (let attempt = 0; attempt < 5 && (put === undefined || put.status === 409); attempt++) {
      const body = encodeObject({ ...(await read()), spec: { replicas: 3 } });
      put = await raw(c, "PUT", path, { headers: { "Content-Type": PROTOBUF, Accept: PROTOBUF }, body });
    }
    if (put === undefined) throw new Error("no PUT was made");
    expect(put.status).toBe(200);
    expect(parse(put)).toMatchObject({ kind: "Scale", spec: { replicas: 3 } });
    expect((await c.apps.readNamespacedDeployment({ name: d.metadata?.name ?? "", namespace: ns })).spec?.replicas).toBe(3);
  });

  it("answers a Status error in protobuf", async () => {
    const res = await raw(c, "GET", `/api/v1/namespaces/${ns}/configmaps/missing`, { headers: { Accept: CLIENT_GO_ACCEPT } });
    expect([res.status, res.contentType]).toEqual([404, PROTOBUF]);
    expect(parse(res)).toEqual({
      apiVersion: "v1",
      kind: "Status",
      metadata: {},
      status: "Failure",
      message: 'configmaps "missing" not found',
      reason: "NotFound",
      details: { name: "missing", kind: "configmaps" },
      code: 404,
    });
  });

  it("refuses a body that is not protobuf with the real server's 400", async () => {
    const res = await raw(c, "POST", `/api/v1/namespaces/${ns}/configmaps`, { headers: { "Content-Type": PROTOBUF, Accept: JSON_TYPE }, body: "garbage" });
    expect(res.status).toBe(400);
    expect(parse(res)).toMatchObject({
      reason: "BadRequest",
      message: "the object provided is unrecognized (must be of type ConfigMap): provided data does not appear to be a protobuf message, expected prefix [107 56 115 0] (67617262616765)",
    });
  });

  it("serves discovery in protobuf", async () => {
    for (const path of ["/api", "/apis", "/api/v1", "/apis/apps/v1"]) {
      const pb = await raw(c, "GET", path, { headers: { Accept: CLIENT_GO_ACCEPT } });
      expect([path, pb.contentType]).toEqual([path, PROTOBUF]);
      expect(parse(pb)).toEqual(parse(await raw(c, "GET", path, { headers: { Accept: JSON_TYPE } })));
    }
    const v1 = parse(await raw(c, "GET", "/api/v1", { headers: { Accept: PROTOBUF } })) as { resources: { name: string; verbs: string[] }[] };
    expect(v1.resources.find((r) => r.name === "pods")?.verbs).toEqual(expect.arrayContaining(["create", "get", "list", "watch", "delete"]));
  });

  it("streams a watch as length-prefixed WatchEvent frames, each object in the protobuf envelope", async () => {
    const rv = (await c.core.listNamespacedConfigMap({ namespace: ns })).metadata?.resourceVersion ?? "";
    const stream = await rawStream(c, `/api/v1/namespaces/${ns}/configmaps?watch=true&resourceVersion=${rv}&labelSelector=w%3Dpb`, { Accept: CLIENT_GO_ACCEPT });
    try {
      expect([stream.status, stream.contentType]).toEqual([200, `${PROTOBUF};stream=watch`]);
      await c.core.createNamespacedConfigMap({ namespace: ns, body: { metadata: { name: "watched", labels: { w: "pb" } }, data: { v: "1" } } });
      await c.core.patchNamespacedConfigMap({ name: "watched", namespace: ns, body: { data: { v: "2" } } }, merge);
      await c.core.deleteNamespacedConfigMap({ name: "watched", namespace: ns });
      const events = await waitFor("three watch events", () => {
        const { frames } = unframe(stream.received());
        return frames.length >= 3 && frames.map((f) => decodeWatchEvent(f) as { type: string; object: Json });
      });
      expect(events.map((e) => [e.type, e.object.kind, (e.object.metadata as { name: string }).name, (e.object.data as { v: string }).v])).toEqual([
        ["ADDED", "ConfigMap", "watched", "1"],
        ["MODIFIED", "ConfigMap", "watched", "2"],
        ["DELETED", "ConfigMap", "watched", "2"],
      ]);
    } finally {
      stream.stop();
    }
  });
});

describe("custom resources (JSON only)", () => {
  const group = `cr${suffix}.kube-sim.test`;
  let path = "";
  beforeAll(async () => {
    const crd = samples(ns, `cr${suffix}`)["apiextensions.k8s.io/v1 CustomResourceDefinition"] as Sample;
    // Raw JSON: client-node's typed models drop the x-kubernetes-* keys of a plain object.
    const created = await raw(c, "POST", "/apis/apiextensions.k8s.io/v1/customresourcedefinitions", { headers: { "Content-Type": JSON_TYPE }, body: JSON.stringify(crd) });
    expect(created.status).toBe(201);
    clusterScoped.push(`/apis/apiextensions.k8s.io/v1/customresourcedefinitions/${crd.metadata?.name}`);
    path = `/apis/${group}/v1/namespaces/${ns}/widgets`;
    await waitFor("the custom resource served", async () => (await raw(c, "GET", path)).status === 200);
  });

  it("answer a list in JSON when the client also accepts JSON, and 406 when it accepts protobuf only", async () => {
    const both = await raw(c, "GET", path, { headers: { Accept: CLIENT_GO_ACCEPT } });
    expect([both.status, both.contentType]).toEqual([200, JSON_TYPE]);
    expect(parse(both)).toMatchObject({ kind: "WidgetList", items: [] });
    const only = await raw(c, "GET", path, { headers: { Accept: PROTOBUF } });
    expect(only.status).toBe(406);
    expect(parse(only)).toMatchObject({ kind: "Status", code: 406, reason: "NotAcceptable" });
  });

  it.skipIf(ON_REAL)(`refuse a protobuf body with 415${simOnly("kube-apiserver v1.36.3 panics on it (nil dereference in the custom resource handler's schemaCoercingDecoder) and resets the connection")}`, async () => {
    const res = await raw(c, "POST", path, { headers: { "Content-Type": PROTOBUF, Accept: JSON_TYPE }, body: encodeObject({ apiVersion: "v1", kind: "ConfigMap", metadata: { name: "x" } }) });
    expect(res.status).toBe(415);
    expect(parse(res)).toMatchObject({ reason: "UnsupportedMediaType", message: "the body of the request was in an unknown format - accepted media types include: application/json" });
  });
});
