// The protobuf codec without a server: the committed descriptor is the one the generator writes from
// the k8s.io Go modules, every served kind has a message, bytes written by Go's own serializer decode
// to the JSON Go prints, and the JSON forms of times, int-or-string, quantities and bytes.
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { DESCRIPTOR_FILE, findGo, generateDescriptor } from "../scripts/gen-protobuf.js";
import { ResourceRegistry } from "../src/api/resources.js";
import { formatDuration, parseDuration } from "../src/protobuf/forms.js";
import { decodeMessage, decodeObject, decodeWatchEvent, encodeMessage, encodeObject, encodeWatchEvent, SCHEMA, unframe } from "../src/protobuf/index.js";
import { Writer, WIRE } from "../src/protobuf/wire.js";

const GO = findGo();
const fixtures = JSON.parse(readFileSync(join(import.meta.dirname, "fixtures/go-protobuf.json"), "utf8")) as { cases: { kind: string; protobuf: string; json: Record<string, unknown> }[] };

describe("the descriptor", () => {
  it.skipIf(!GO)(`is what scripts/gen-protobuf.ts writes from the k8s.io modules${GO ? "" : " (SKIPPED: no Go toolchain, neither go on PATH nor /usr/local/go/bin/go, to read the modules)"}`, () => {
    expect(generateDescriptor(GO as string)).toBe(readFileSync(DESCRIPTOR_FILE, "utf8"));
  }, 120_000);

  it("has a message for every built-in kind kube-sim serves, its list, Scale, and meta/v1's Status, WatchEvent, DeleteOptions and discovery documents", () => {
    const registry = new ResourceRegistry();
    const kinds = registry.storedTypes().flatMap((t) => [`${t.apiVersion} ${t.kind}`, `${t.apiVersion} ${t.listKind}`]);
    kinds.push("autoscaling/v1 Scale", ...["Status", "WatchEvent", "DeleteOptions", "APIVersions", "APIGroupList", "APIGroup", "APIResourceList"].map((k) => `v1 ${k}`));
    expect(kinds.filter((k) => !SCHEMA.kind(k.split(" ")[0] ?? "", k.split(" ")[1] ?? ""))).toEqual([]);
  });
});

describe("bytes written by Go's serializer", () => {
  it.each(fixtures.cases.map((c) => [c.kind, c] as const))("%s decodes to the JSON Go prints, and encodes back to it", (_, c) => {
    expect(decodeObject(Buffer.from(c.protobuf, "base64"))).toEqual(c.json);
    expect(decodeObject(encodeObject(c.json))).toEqual(c.json);
  });
});

const pod = SCHEMA.kind("v1", "Pod");
const roundTrip = (obj: Record<string, unknown>) => decodeObject(encodeObject({ apiVersion: "v1", kind: "Pod", ...obj }));

describe("JSON forms", () => {
  it("writes a Time as whole seconds (as Go does) and a MicroTime to the microsecond", () => {
    const event = decodeObject(encodeObject({ apiVersion: "v1", kind: "Event", metadata: { name: "e", creationTimestamp: "2026-01-02T03:04:05.987Z" }, eventTime: "2026-01-02T03:04:05.123456Z", lastTimestamp: "2026-01-02T05:04:05+02:00" }));
    expect(event).toMatchObject({ metadata: { creationTimestamp: "2026-01-02T03:04:05Z" }, eventTime: "2026-01-02T03:04:05.123456Z", lastTimestamp: "2026-01-02T03:04:05Z" });
  });

  it("keeps null for a zero non-pointer Time and leaves out a zero creationTimestamp (omitzero)", () => {
    const decoded = roundTrip({ metadata: { name: "p", creationTimestamp: null }, status: { conditions: [{ type: "Ready", status: "True", lastProbeTime: null }] } });
    expect(decoded).toEqual({ apiVersion: "v1", kind: "Pod", metadata: { name: "p" }, status: { conditions: [{ type: "Ready", status: "True", lastProbeTime: null }] } });
  });

  it("carries int-or-string, quantities, negative numbers, bytes and empty values", () => {
    const obj = {
      metadata: { name: "p", annotations: { empty: "" } },
      spec: {
        terminationGracePeriodSeconds: -30,
        containers: [{ name: "c", ports: [{ containerPort: 8080 }], readinessProbe: { httpGet: { port: "http" } }, livenessProbe: { tcpSocket: { port: 0 } }, resources: { limits: { cpu: "1500m", memory: "1Gi" } } }],
      },
    };
    expect(roundTrip(obj)).toEqual({ apiVersion: "v1", kind: "Pod", ...obj });
    const secret = { apiVersion: "v1", kind: "Secret", metadata: { name: "s" }, data: { bin: Buffer.from([0, 255, 10]).toString("base64"), empty: "" } };
    expect(decodeObject(encodeObject(secret))).toEqual(secret);
  });

  it("leaves out the zero value of an omitempty field, as Go prints it, and keeps it where Go does", () => {
    const obj = { metadata: { name: "p", generateName: "" }, spec: { containers: [{ name: "c", image: "", env: [{ name: "E", value: "" }], ports: [{ containerPort: 0, hostPort: 0 }] }] }, status: { containerStatuses: [{ name: "c", ready: false, restartCount: 0, image: "", imageID: "" }] } };
    expect(roundTrip(obj)).toEqual({
      apiVersion: "v1",
      kind: "Pod",
      metadata: { name: "p" },
      spec: { containers: [{ name: "c", env: [{ name: "E" }], ports: [{ containerPort: 0 }] }] },
      status: { containerStatuses: [{ name: "c", ready: false, restartCount: 0, image: "", imageID: "" }] },
    });
  });

  it("formats and parses Go durations", () => {
    expect([0, 1500, 2_500_000, 90e9, 3600e9, 3723.5e9, -61e9].map(formatDuration)).toEqual(["0s", "1.5µs", "2.5ms", "1m30s", "1h0m0s", "1h2m3.5s", "-1m1s"]);
    expect(["1h2m3.5s", "300ms", "-1.5h", "2us"].map(parseDuration)).toEqual([3723.5e9, 300e6, -5400e9, 2000]);
    expect(() => parseDuration("soon")).toThrow(/Go duration/);
  });

  it("names the field whose value does not fit its type", () => {
    expect(() => encodeObject({ apiVersion: "apps/v1", kind: "Deployment", metadata: { name: "d" }, spec: { replicas: "3" } })).toThrow('spec.replicas: expected an integer, got string "3"');
    expect(() => encodeObject({ apiVersion: "example.com/v1", kind: "Widget" })).toThrow("example.com/v1 Widget has no protobuf encoding");
  });
});

describe("the wire", () => {
  it("skips fields it does not know and reads packed repeated numbers", () => {
    const w = new Writer();
    w.tag(1, WIRE.bytes);
    w.bytes(encodeMessage(SCHEMA.message("k8s.io.apimachinery.pkg.apis.meta.v1.ObjectMeta")!, { name: "p" }));
    w.tag(99, WIRE.varint);
    w.varint(7);
    w.tag(98, WIRE.bytes);
    w.string("from a newer Kubernetes");
    expect(decodeMessage(pod!, w.finish())).toEqual({ metadata: { name: "p" } });
    const ctx = new Writer();
    const packed = new Writer();
    for (const g of [1000, 2000, 3000]) packed.varint(g);
    ctx.tag(4, WIRE.bytes); // PodSecurityContext.supplementalGroups, packed as proto3 writers do
    ctx.bytes(packed.finish());
    expect(decodeMessage(SCHEMA.message("k8s.io.api.core.v1.PodSecurityContext")!, ctx.finish())).toEqual({ supplementalGroups: [1000, 2000, 3000] });
  });

  it("frames watch events with their length, each object in the envelope", () => {
    const a = encodeWatchEvent("ADDED", { apiVersion: "v1", kind: "ConfigMap", metadata: { name: "a" }, data: { k: "v" } });
    const b = encodeWatchEvent("ERROR", { apiVersion: "v1", kind: "Status", metadata: {}, status: "Failure", reason: "Expired", code: 410 });
    const both = Buffer.concat([a, b]);
    const { frames, rest } = unframe(both.subarray(0, both.length - 3));
    expect([frames.length, rest.length]).toEqual([1, b.length - 3]);
    expect(unframe(both).frames.map(decodeWatchEvent)).toEqual([
      { type: "ADDED", object: { apiVersion: "v1", kind: "ConfigMap", metadata: { name: "a" }, data: { k: "v" } } },
      { type: "ERROR", object: { apiVersion: "v1", kind: "Status", metadata: {}, status: "Failure", reason: "Expired", code: 410 } },
    ]);
  });

  it("refuses data without the magic prefix", () => {
    expect(() => decodeObject(Buffer.from("{}"))).toThrow("provided data does not appear to be a protobuf message, expected prefix [107 56 115 0]");
  });
});

