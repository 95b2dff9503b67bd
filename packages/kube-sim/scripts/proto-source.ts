/**
 * Reads the facts the protobuf descriptor needs from the k8s.io Go modules in the Go module cache:
 * messages and field numbers from their generated.proto files, JSON names, `inline` and
 * `omitempty` from the Go struct tags beside them. Nothing is copied: the generator keeps numbers,
 * names and flags only.
 */
import { execFileSync } from "node:child_process";
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";

export const SCALARS = new Set(["string", "bytes", "bool", "int32", "int64", "uint32", "uint64", "double", "float", "fixed64", "sfixed64"]);

export interface ProtoField {
  name: string;
  number: number;
  label: "optional" | "repeated" | "map";
  /** A scalar name or a message's full name (no leading dot). */
  type: string;
  /** Map key type (scalar) when `label` is "map". */
  keyType?: string;
}

export interface ProtoMessage {
  fullName: string;
  /** The Go package the message was generated from (`k8s.io/api/core/v1`). */
  goPackage: string;
  name: string;
  fields: ProtoField[];
}

export interface GoField {
  protoName: string;
  protoNumber: number;
  json: string;
  omitempty: boolean;
  /** Go 1.24's `omitzero`: the field is left out when it is its type's zero value (a zero Time). */
  omitzero: boolean;
  inline: boolean;
  pointer: boolean;
}

export class SourceError extends Error {
  override readonly name = "SourceError";
}

/** The directories of Go modules at a version, from `go mod download -json` (fetching them when needed). */
export function moduleDirs(go: string, modules: string[]): Map<string, string> {
  const cwd = mkdtempSync(join(tmpdir(), "kube-sim-proto-"));
  try {
    const out = execFileSync(go, ["mod", "download", "-json", ...modules], { cwd, encoding: "utf8", env: { ...process.env, GOFLAGS: "-mod=mod", GO111MODULE: "on" }, stdio: ["ignore", "pipe", "pipe"] });
    const dirs = new Map<string, string>();
    for (const chunk of out.split(/\n}\n?/).filter((c) => c.trim())) {
      const info = JSON.parse(`${chunk}\n}`) as { Path: string; Dir?: string; Error?: string };
      if (info.Error || !info.Dir) throw new SourceError(`go mod download ${info.Path}: ${info.Error ?? "no directory"}`);
      dirs.set(info.Path, info.Dir);
    }
    return dirs;
  } finally {
    rmSync(cwd, { recursive: true, force: true });
  }
}

function resolveType(type: string, pkg: string): string {
  if (SCALARS.has(type)) return type;
  return type.startsWith(".") ? type.slice(1) : `${pkg}.${type}`;
}

/** Parses a generated.proto file (proto2, top-level messages, scalar and message fields, maps). */
export function parseProto(text: string, file: string): ProtoMessage[] {
  const pkg = /^package\s+([\w.]+);/m.exec(text)?.[1];
  const goPackage = /^option go_package = "([^"]+)";/m.exec(text)?.[1];
  if (!pkg || !goPackage) throw new SourceError(`${file}: no package or go_package`);
  const messages: ProtoMessage[] = [];
  let current: ProtoMessage | undefined;
  for (const [i, raw] of text.split("\n").entries()) {
    const line = raw.replace(/\/\/.*$/, "").trim();
    if (!line) continue;
    const open = /^message (\w+) \{$/.exec(line);
    if (open) {
      const name = open[1] ?? "";
      current = { fullName: `${pkg}.${name}`, goPackage, name, fields: [] };
      messages.push(current);
      continue;
    }
    if (line === "}") {
      current = undefined;
      continue;
    }
    if (!current) continue;
    const field = /^(optional|repeated) ([\w.]+) (\w+) = (\d+);$/.exec(line);
    const map = /^map<(\w+), ([\w.]+)> (\w+) = (\d+);$/.exec(line);
    if (field) {
      current.fields.push({ label: field[1] as "optional" | "repeated", type: resolveType(field[2] ?? "", pkg), name: field[3] ?? "", number: Number(field[4]) });
    } else if (map) {
      current.fields.push({ label: "map", keyType: map[1] ?? "", type: resolveType(map[2] ?? "", pkg), name: map[3] ?? "", number: Number(map[4]) });
    } else {
      throw new SourceError(`${file}:${i + 1}: cannot read "${line}"`);
    }
  }
  return messages;
}

function tagValue(tags: string, key: string): string | undefined {
  return new RegExp(`(?:^|\\s)${key}:"([^"]*)"`).exec(tags)?.[1];
}

/** The protobuf-tagged fields of every struct declared in a Go package directory. */
export function parseGoStructs(dir: string): GoPackage {
  const structs = new Map<string, GoField[]>();
  const ownJson = new Set<string>();
  for (const file of readdirSync(dir).filter((f) => f.endsWith(".go") && !f.endsWith("_test.go"))) {
    let current: GoField[] | undefined;
    let depth = 0;
    for (const raw of readFileSync(join(dir, file), "utf8").split("\n")) {
      const line = raw.replace(/^\s*\/\/.*$/, "");
      const marshals = /^func \(\w+ \*?(\w+)\) MarshalJSON\(/.exec(line);
      if (marshals) ownJson.add(marshals[1] ?? "");
      const open = /^type (\w+) struct \{\s*$/.exec(line);
      if (open) {
        current = [];
        structs.set(open[1] ?? "", current);
        depth = 1;
        continue;
      }
      if (!current) continue;
      depth += (line.match(/\{/g)?.length ?? 0) - (line.match(/\}/g)?.length ?? 0);
      if (depth <= 0) {
        current = undefined;
        continue;
      }
      const m = /^\s*(?:(\w+)\s+)?(\S+)\s+`([^`]*)`/.exec(line);
      const proto = m ? tagValue(m[3] ?? "", "protobuf") : undefined;
      if (!m || !proto) continue;
      const parts = proto.split(",");
      const protoName = parts.find((p) => p.startsWith("name="))?.slice(5) ?? "";
      const [jsonName = "", ...opts] = (tagValue(m[3] ?? "", "json") ?? (m[1] ?? "")).split(",");
      current.push({
        protoName,
        protoNumber: Number(parts[1]),
        json: jsonName,
        omitempty: opts.includes("omitempty"),
        omitzero: opts.includes("omitzero"),
        inline: opts.includes("inline"),
        pointer: (m[2] ?? "").startsWith("*"),
      });
    }
  }
  return { structs, ownJson };
}

/** A Go package's protobuf-tagged struct fields by struct name, and the types that marshal JSON themselves. */
export interface GoPackage {
  structs: Map<string, GoField[]>;
  ownJson: Set<string>;
}

/** Every message of the generated.proto files under a Go module directory's packages, by full name. */
export class ProtoIndex {
  readonly messages = new Map<string, ProtoMessage>();
  readonly #goPackages = new Map<string, GoPackage>();
  readonly #loaded = new Set<string>();

  constructor(readonly dirs: Map<string, string>) {}

  /** The directory of a Go package, from the module that holds it. */
  packageDir(goPackage: string): string {
    const module = [...this.dirs.keys()].filter((m) => goPackage === m || goPackage.startsWith(`${m}/`)).sort((a, b) => b.length - a.length)[0];
    if (!module) throw new SourceError(`no module given for Go package ${goPackage}`);
    return join(this.dirs.get(module) ?? "", goPackage.slice(module.length));
  }

  /** Loads a Go package's generated.proto and the ones it imports; its proto package name. */
  load(goPackage: string): string {
    const file = join(this.packageDir(goPackage), "generated.proto");
    if (!existsSync(file)) throw new SourceError(`${goPackage} has no generated.proto (${file})`);
    const text = readFileSync(file, "utf8");
    const pkg = /^package\s+([\w.]+);/m.exec(text)?.[1] ?? "";
    if (this.#loaded.has(goPackage)) return pkg;
    this.#loaded.add(goPackage);
    for (const m of parseProto(text, file)) this.messages.set(m.fullName, m);
    for (const [, imp] of text.matchAll(/^import "(.+)\/generated\.proto";/gm)) this.load(imp ?? "");
    return pkg;
  }

  goPackage(goPackage: string): GoPackage {
    let pkg = this.#goPackages.get(goPackage);
    if (!pkg) {
      pkg = parseGoStructs(this.packageDir(goPackage));
      this.#goPackages.set(goPackage, pkg);
    }
    return pkg;
  }
}
