import { readFile } from "node:fs/promises";
import { join } from "node:path";
import { stringify } from "yaml";

// The Release CRD's schema, converted from the release spec's JSON Schema
// (packages/contracts/schemas/release-spec.schema.json) to the structural subset Kubernetes
// accepts. Run `pnpm exec tsx --conditions=source test/deploy/crd-schema.ts` to rewrite
// deploy/crd/release.yaml after the spec changes; test/deploy/crd.test.ts fails until then.

type Json = { [k: string]: unknown };

const ROOT = join(import.meta.dirname, "../..");
export const SPEC_SCHEMA = join(ROOT, "packages/contracts/schemas/release-spec.schema.json");
export const CRD_FILE = join(ROOT, "deploy/crd/release.yaml");

/** Keywords Kubernetes accepts in a structural schema (apiextensions.k8s.io/v1 JSONSchemaProps). */
const KEPT = new Set(["type", "description", "properties", "items", "required", "enum", "pattern", "minimum", "maximum", "minLength", "maxLength", "minItems", "maxItems", "additionalProperties", "nullable", "format"]);
/** Formats the API server knows; any other would be dropped (its pattern, if any, stays). */
const FORMATS = new Set(["uri", "email", "hostname", "ipv4", "ipv6", "date-time", "uuid", "byte", "date", "duration"]);

/**
 * One JSON Schema node → its structural form:
 * - `$schema`, `$id`, `title`, `propertyNames` and `default` are dropped (defaults are resolved
 *   by the planner, the one place that owns them, so `kubectl get -o yaml` shows what was asked);
 * - `additionalProperties: false` is dropped (a structural schema prunes unknown fields anyway);
 * - `additionalProperties: {}` beside `properties` (a container, a pod spec: "anything else a
 *   Deployment takes") becomes `x-kubernetes-preserve-unknown-fields: true`;
 * - `additionalProperties: <schema>` without `properties` stays: a map (labels, headers).
 */
export function structural(node: Json): Json {
  const out: Json = {};
  for (const [k, v] of Object.entries(node)) {
    if (!KEPT.has(k)) continue;
    if (k === "format" && !FORMATS.has(v as string)) continue;
    if (k === "properties") out[k] = Object.fromEntries(Object.entries(v as Record<string, Json>).map(([p, s]) => [p, structural(s)]));
    else if (k === "items") out[k] = structural(v as Json);
    else if (k === "additionalProperties") {
      if (v === false) continue;
      const schema = v as Json;
      if (Object.keys(schema).length === 0 || node.properties !== undefined) out["x-kubernetes-preserve-unknown-fields"] = true;
      else out[k] = structural(schema);
    } else out[k] = v;
  }
  return out;
}

const CONDITION = {
  type: "object",
  required: ["type", "status"],
  properties: {
    type: { type: "string", description: "Ready (the release ended well) or Progressing (it is moving)." },
    status: { type: "string", enum: ["True", "False", "Unknown"] },
    reason: { type: "string", description: "One CamelCase word: the phase, or Rejected." },
    message: { type: "string", description: "What happened, for people (rejection reasons, the failure's cause)." },
    lastTransitionTime: { type: "string", format: "date-time" },
    observedGeneration: { type: "integer", minimum: 0 },
  },
};

const STATUS = {
  type: "object",
  description: "Written by the planner as the release moves (through the status subresource).",
  properties: {
    phase: { type: "string", description: "Pending until the intake answers, then the release's phase (requested … completed, rolled_back, failed) or Rejected." },
    releaseId: { type: "string", description: "The Baton release started for observedGeneration: cr-<uid8>-<generation>." },
    revision: { type: "integer", minimum: 1, description: "The revision v2 was given (<app>-<revision> Deployment)." },
    observedGeneration: { type: "integer", minimum: 0, description: "The metadata.generation this status describes." },
    message: { type: "string" },
    conditions: {
      type: "array",
      items: CONDITION,
      "x-kubernetes-list-type": "map",
      "x-kubernetes-list-map-keys": ["type"],
    },
  },
};

export function releaseCrd(specSchema: Json): Json {
  const spec = structural(specSchema);
  // The Release's own namespace is the release's namespace: the field is optional here.
  spec.required = ((spec.required as string[] | undefined) ?? []).filter((f) => f !== "namespace");
  spec.description =
    "The release spec (the same fields as a release request on the intake). namespace may be left out: it is the Release's own namespace, and any other value is rejected.";
  return {
    apiVersion: "apiextensions.k8s.io/v1",
    kind: "CustomResourceDefinition",
    metadata: { name: "releases.baton.dev", labels: { "app.kubernetes.io/part-of": "baton" } },
    spec: {
      group: "baton.dev",
      scope: "Namespaced",
      names: { plural: "releases", singular: "release", kind: "Release", listKind: "ReleaseList", shortNames: ["rel"], categories: ["baton"] },
      versions: [
        {
          name: "v1alpha1",
          served: true,
          storage: true,
          subresources: { status: {} },
          additionalPrinterColumns: [
            { name: "App", type: "string", jsonPath: ".spec.app" },
            { name: "Phase", type: "string", jsonPath: ".status.phase" },
            { name: "Revision", type: "integer", jsonPath: ".status.revision" },
            { name: "Release", type: "string", jsonPath: ".status.releaseId", priority: 1 },
            { name: "Age", type: "date", jsonPath: ".metadata.creationTimestamp" },
          ],
          schema: {
            openAPIV3Schema: {
              type: "object",
              description: "A Baton release: applying one starts a release of spec.app to spec.image; status follows it.",
              required: ["spec"],
              properties: {
                apiVersion: { type: "string" },
                kind: { type: "string" },
                metadata: { type: "object" },
                spec,
                status: STATUS,
              },
            },
          },
        },
      ],
    },
  };
}

export async function renderCrd(): Promise<string> {
  const schema = JSON.parse(await readFile(SPEC_SCHEMA, "utf8")) as Json;
  const head =
    "# The Release custom resource (baton.dev/v1alpha1). Generated by test/deploy/crd-schema.ts from\n" +
    "# packages/contracts/schemas/release-spec.schema.json: do not edit by hand.\n";
  return head + stringify(releaseCrd(schema), { lineWidth: 0 });
}

if (process.argv[1] === import.meta.filename) {
  const { writeFile } = await import("node:fs/promises");
  await writeFile(CRD_FILE, await renderCrd());
  process.stdout.write(`wrote ${CRD_FILE}\n`);
}
