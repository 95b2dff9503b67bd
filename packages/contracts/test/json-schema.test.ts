import { readdir, readFile } from "node:fs/promises";
import { join, relative } from "node:path";
import { Ajv2020 } from "ajv/dist/2020.js";
import addFormatsModule from "ajv-formats";
import { describe, expect, test } from "vitest";
import { parse } from "yaml";
import { parseIntake } from "@baton/contracts";

// Issue 21: publishers in other languages validate with the JSON Schemas in
// packages/contracts/schemas. Every schema compiles with a standard draft 2020-12 validator in
// strict mode (ajv 8, strict: true: unknown keywords and formats are errors, not warnings), the
// README's examples validate with it, bad specs are refused by it, and the rules JSON Schema cannot
// say are named in the schema's description and refused by the intake.

const addFormats = addFormatsModule as unknown as (ajv: Ajv2020) => Ajv2020;
const SCHEMAS = join(import.meta.dirname, "..", "schemas");
const README = join(import.meta.dirname, "../../../README.md");

async function schemaFiles(dir = SCHEMAS): Promise<string[]> {
  const out: string[] = [];
  for (const e of await readdir(dir, { withFileTypes: true })) {
    if (e.isDirectory()) out.push(...(await schemaFiles(join(dir, e.name))));
    else if (e.name.endsWith(".schema.json")) out.push(join(dir, e.name));
  }
  return out.sort();
}

async function strictAjv(): Promise<{ ajv: Ajv2020; ids: Map<string, string> }> {
  const ajv = addFormats(new Ajv2020({ strict: true, allErrors: true }));
  const ids = new Map<string, string>();
  for (const file of await schemaFiles()) {
    const schema = JSON.parse(await readFile(file, "utf8")) as { $id: string };
    ajv.addSchema(schema);
    ids.set(relative(SCHEMAS, file), schema.$id);
  }
  return { ajv, ids };
}

/** The README's YAML blocks, parsed. */
async function readmeYaml(): Promise<Record<string, unknown>[]> {
  const text = await readFile(README, "utf8");
  return [...text.matchAll(/```yaml\n([\s\S]*?)```/g)].map((m) => parse(m[1]!) as Record<string, unknown>);
}

/** The README's JSON intake bodies: the `nats req baton.intake '…'` and raw-protocol examples. */
async function readmeIntakeBodies(): Promise<Record<string, unknown>[]> {
  const text = await readFile(README, "utf8");
  const quoted = [...text.matchAll(/nats req \S*\.intake(?:\.[a-z0-9-]+)? '(\{.*\})'/g)].map((m) => m[1]!);
  const raw = [...text.matchAll(/PUB \S*\.intake(?:\.[a-z0-9-]+)? \S+ \d+\n\s*(\{.*\})/g)].map((m) => m[1]!);
  return [...quoted, ...raw].map((j) => JSON.parse(j) as Record<string, unknown>);
}

function errorsOf(ajv: Ajv2020, id: string, value: unknown): string[] {
  const validate = ajv.getSchema(id);
  if (validate === undefined) throw new Error(`no schema ${id}`);
  return validate(value) ? [] : (validate.errors ?? []).map((e) => `${e.instancePath || "/"} ${e.message}`);
}

describe("the JSON Schemas for other languages", () => {
  test("every schema compiles with ajv 8 (draft 2020-12) in strict mode", async () => {
    const files = await schemaFiles();
    expect(files.length).toBeGreaterThanOrEqual(20); // intake body, spec, one per event
    const ajv = addFormats(new Ajv2020({ strict: true }));
    for (const file of files) {
      const schema = JSON.parse(await readFile(file, "utf8")) as Record<string, unknown>;
      expect(() => ajv.compile(schema), relative(SCHEMAS, file)).not.toThrow();
    }
  });

  test("no schema uses a format JSON Schema does not define", async () => {
    const known = new Set(["date-time", "date", "time", "duration", "email", "hostname", "ipv4", "ipv6", "uri", "uri-reference", "uuid", "regex"]);
    for (const file of await schemaFiles()) {
      const formats = [...(await readFile(file, "utf8")).matchAll(/"format": "([^"]+)"/g)].map((m) => m[1]!);
      expect(formats.filter((f) => !known.has(f)), relative(SCHEMAS, file)).toEqual([]);
    }
  });

  test("the README's release specs and intake bodies validate (and the intake accepts them too)", async () => {
    const { ajv, ids } = await strictAjv();
    const specs = (await readmeYaml()).flatMap((doc) => {
      if (doc.kind === "Release") {
        const meta = doc.metadata as { namespace?: string };
        return [{ where: "the Release example's spec", spec: { namespace: meta.namespace ?? "default", ...(doc.spec as object) } }];
      }
      return "app" in doc && "image" in doc ? [{ where: "the release spec", spec: doc }] : [];
    });
    expect(specs.map((s) => s.where)).toEqual(expect.arrayContaining(["the release spec", "the Release example's spec"]));
    for (const { where, spec } of specs) {
      expect(errorsOf(ajv, ids.get("release-spec.schema.json")!, spec), where).toEqual([]);
      expect(parseIntake(JSON.stringify(spec), { allowedNamespaces: "*" }), where).toMatchObject({ ok: true });
    }
    const bodies = await readmeIntakeBodies();
    expect(bodies.length).toBeGreaterThanOrEqual(2);
    for (const body of bodies) expect(errorsOf(ajv, ids.get("intake-body.schema.json")!, body), JSON.stringify(body)).toEqual([]);
  });

  test("bad specs are refused by the schema, each naming the field", async () => {
    const { ajv, ids } = await strictAjv();
    const good = { app: "web", namespace: "shop", image: "registry.example.com/shop/web:2.0.0" };
    const bad: [string, Record<string, unknown>, string][] = [
      ["a test path not starting with /", { ...good, validation: { tests: [{ name: "v", request: { path: "version" } }] } }, "/validation/tests/0/request/path"],
      ["a warm-up path not starting with /", { ...good, validation: { warmup: { paths: ["x"] } } }, "/validation/warmup/paths/0"],
      ["an unknown field", { ...good, replica: 2 }, "/"],
      ["no replicas", { ...good, replicas: 0 }, "/replicas"],
      ["a bad image", { ...good, image: "Not An Image" }, "/image"],
      ["a webhook URL that is not a URL", { ...good, postRelease: [{ name: "hook", webhook: { url: "not a url" } }] }, "/postRelease/0/webhook/url"],
    ];
    for (const [what, spec, path] of bad) {
      const errors = errorsOf(ajv, ids.get("release-spec.schema.json")!, spec);
      expect(errors.some((e) => e.startsWith(`${path} `)), `${what}: ${errors.join("; ")}`).toBe(true);
      expect(parseIntake(JSON.stringify(spec), { allowedNamespaces: "*" }), what).toMatchObject({ ok: false });
    }
  });

  test("what only the intake checks is said in the description, and is refused by the intake", async () => {
    const { ajv, ids } = await strictAjv();
    for (const file of ["release-spec.schema.json", "intake-body.schema.json"]) {
      const schema = JSON.parse(await readFile(join(SCHEMAS, file), "utf8")) as { description: string };
      expect(schema.description, file).toMatch(/liveThreshold <= replicas/);
      expect(schema.description, file).toMatch(/container names/);
      expect(schema.description, file).toMatch(/activity names/);
      expect(schema.description, file).toMatch(/exactly one of sql, webhook/);
    }
    const spec = { app: "web", namespace: "shop", image: "baton.dev/demo-app:2.0.0", replicas: 2, liveThreshold: 3 };
    expect(errorsOf(ajv, ids.get("release-spec.schema.json")!, spec)).toEqual([]);
    expect(parseIntake(JSON.stringify(spec), { allowedNamespaces: "*" })).toMatchObject({ ok: false });
  });
});
