/**
 * Generates src/protobuf/descriptor.ts: the protobuf wire layout of the built-in kinds kube-sim
 * serves (and of meta/v1 Status, WatchEvent, DeleteOptions and the discovery documents): for each
 * message reachable from them, its fields' numbers, types and JSON names, with the `inline` and
 * `omitempty` facts of the Go types. Read from the generated.proto files (and Go struct tags) of
 * the k8s.io Go modules through `go mod download`; nothing of their text is written.
 *
 *   pnpm -s exec tsx --conditions=source packages/kube-sim/scripts/gen-protobuf.ts [--check]
 *
 * --check exits 1 when the committed descriptor differs from what would be generated.
 */
import { accessSync, constants, readFileSync, writeFileSync } from "node:fs";
import { delimiter, dirname, join } from "node:path";
import { fileURLToPath, pathToFileURL } from "node:url";
import { ResourceRegistry } from "../src/api/resources.js";
import { FORMS, type Descriptor, type FieldTuple } from "../src/protobuf/types.js";
import { ProtoIndex, SCALARS, SourceError, moduleDirs, type ProtoField, type ProtoMessage } from "./proto-source.js";

/** The Kubernetes release whose API the descriptor follows (the control plane scripts/k8s builds). */
export const KUBE_VERSION = "v0.36.3";
const MODULES = ["k8s.io/api", "k8s.io/apimachinery", "k8s.io/apiextensions-apiserver"];
const META = "k8s.io/apimachinery/pkg/apis/meta/v1";

export const DESCRIPTOR_FILE = join(dirname(fileURLToPath(import.meta.url)), "../src/protobuf/descriptor.ts");

/** The Go package of an API group's types (`apps` → k8s.io/api/apps). */
function groupPackage(group: string): string {
  if (group === "") return "k8s.io/api/core";
  if (group === "apiextensions.k8s.io") return "k8s.io/apiextensions-apiserver/pkg/apis/apiextensions";
  if (group === "meta.k8s.io") return "k8s.io/apimachinery/pkg/apis/meta";
  return `k8s.io/api/${group.replace(/\.k8s\.io$/, "")}`;
}

interface Root {
  apiVersions: string[];
  kind: string;
  goPackage: string;
}

/** The kinds a client may send or receive: every built-in resource and its list, Scale, and meta/v1's. */
function roots(): Root[] {
  const out: Root[] = [];
  const registry = new ResourceRegistry();
  for (const g of registry.groups()) {
    for (const version of g.versions) {
      for (const rt of registry.groupVersion(g.name, version)) {
        const goPackage = `${groupPackage(rt.group)}/${rt.version}`;
        for (const kind of [rt.kind, rt.listKind]) out.push({ apiVersions: [rt.apiVersion], kind, goPackage });
        if (rt.hasScale) out.push({ apiVersions: ["autoscaling/v1"], kind: "Scale", goPackage: `${groupPackage("autoscaling")}/v1` });
      }
    }
  }
  for (const kind of ["Status", "WatchEvent", "DeleteOptions", "APIVersions", "APIGroupList", "APIGroup", "APIResourceList"]) {
    out.push({ apiVersions: ["v1", "meta.k8s.io/v1"], kind, goPackage: META });
  }
  return out;
}

function typeText(f: ProtoField): string {
  return f.label === "map" ? `map<${f.keyType ?? ""},${f.type}>` : f.type;
}

function fieldTuple(index: ProtoIndex, msg: ProtoMessage, f: ProtoField): FieldTuple {
  const goFields = index.goPackage(msg.goPackage).structs.get(msg.name);
  const go = goFields?.find((g) => g.protoName === f.name) ?? goFields?.find((g) => g.protoName === "" && g.protoNumber === f.number);
  if (!go) throw new SourceError(`${msg.fullName}.${f.name}: no Go field of ${msg.goPackage}.${msg.name} carries this protobuf name`);
  if (go.protoNumber !== f.number) throw new SourceError(`${msg.fullName}.${f.name}: field number ${f.number} in generated.proto, ${go.protoNumber} in the Go tag`);
  let flags = f.label === "repeated" ? "r" : "";
  if (go.inline) flags += "i";
  // Go's encoding/json drops a non-pointer scalar's zero value under omitempty, and any zero value
  // under omitzero; a present zero on the wire (Go always writes non-pointer fields) must then not
  // appear in the JSON either.
  const scalar = f.label === "optional" && SCALARS.has(f.type);
  if (!go.pointer && ((go.omitempty && scalar) || (go.omitzero && f.label === "optional"))) flags += "z";
  // Go always writes a non-pointer struct field, a zero Time as an empty message (its JSON null).
  if (!go.pointer && !go.inline && f.label === "optional" && !SCALARS.has(f.type)) flags += "s";
  const json = go.inline ? "" : go.json || f.name;
  return flags ? [f.number, json, typeText(f), flags] : [f.number, json, typeText(f)];
}

function specialTuple(f: ProtoField): FieldTuple {
  return f.label === "repeated" ? [f.number, f.name, typeText(f), "r"] : [f.number, f.name, typeText(f)];
}

/** The go command: $GO, go on PATH, or /usr/local/go/bin/go (where scripts/k8s looks too); undefined without one. */
export function findGo(): string | undefined {
  const candidates = [process.env.GO, ...(process.env.PATH ?? "").split(delimiter).map((d) => join(d, "go")), "/usr/local/go/bin/go"];
  return candidates.find((c) => {
    if (!c) return false;
    try {
      accessSync(c, constants.X_OK);
      return true;
    } catch {
      return false;
    }
  });
}

export function generateDescriptor(go: string): string {
  const dirs = moduleDirs(go, MODULES.map((m) => `${m}@${KUBE_VERSION}`));
  const index = new ProtoIndex(dirs);
  const kinds: Record<string, string> = {};
  const pending: string[] = [];
  for (const root of roots()) {
    const pkg = index.load(root.goPackage);
    const full = `${pkg}.${root.kind}`;
    if (!index.messages.has(full)) throw new SourceError(`${root.goPackage} has no message ${root.kind}`);
    for (const v of root.apiVersions) kinds[`${v} ${root.kind}`] = full;
    pending.push(full);
  }
  const messages: Record<string, FieldTuple[]> = {};
  while (pending.length > 0) {
    const name = pending.pop() ?? "";
    if (messages[name]) continue;
    const msg = index.messages.get(name);
    if (!msg) throw new SourceError(`message ${name} is referenced but not defined in the loaded generated.proto files`);
    const special = FORMS[name] !== undefined;
    if (!special && index.goPackage(msg.goPackage).ownJson.has(msg.name)) {
      throw new SourceError(`${msg.goPackage}.${msg.name} marshals its own JSON: give it a form in src/protobuf/types.ts (FORMS) and the codec`);
    }
    messages[name] = [...msg.fields].sort((a, b) => a.number - b.number).map((f) => (special ? specialTuple(f) : fieldTuple(index, msg, f)));
    for (const f of msg.fields) if (!SCALARS.has(f.type) && !messages[f.type]) pending.push(f.type);
  }
  return render({ source: MODULES.map((m) => `${m}@${KUBE_VERSION}`).join(" "), kinds: sorted(kinds), messages: sorted(messages) });
}

function sorted<T>(record: Record<string, T>): Record<string, T> {
  return Object.fromEntries(Object.entries(record).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)));
}

function render(d: Descriptor): string {
  const kinds = Object.entries(d.kinds).map(([k, v]) => `    ${JSON.stringify(k)}: ${JSON.stringify(v)},`);
  const messages = Object.entries(d.messages).map(([k, v]) => `    ${JSON.stringify(k)}: ${JSON.stringify(v)},`);
  return [
    "// Generated by packages/kube-sim/scripts/gen-protobuf.ts from the generated.proto files and Go",
    `// struct tags of ${d.source}: field numbers, types, JSON names and flags only. Do not edit.`,
    'import type { Descriptor } from "./types.js";',
    "",
    "export const DESCRIPTOR: Descriptor = {",
    `  source: ${JSON.stringify(d.source)},`,
    "  kinds: {",
    ...kinds,
    "  },",
    "  messages: {",
    ...messages,
    "  },",
    "};",
    "",
  ].join("\n");
}

function main(): void {
  const go = findGo();
  if (!go) throw new SourceError("no Go toolchain: set GO, put go on PATH, or install it at /usr/local/go");
  const text = generateDescriptor(go);
  if (process.argv.includes("--check")) {
    if (readFileSync(DESCRIPTOR_FILE, "utf8") !== text) {
      console.error(`${DESCRIPTOR_FILE} is out of date: run packages/kube-sim/scripts/gen-protobuf.ts`);
      process.exit(1);
    }
    console.log("the protobuf descriptor is current");
    return;
  }
  writeFileSync(DESCRIPTOR_FILE, text);
  console.log(`wrote ${DESCRIPTOR_FILE} (${text.length} bytes)`);
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) main();
