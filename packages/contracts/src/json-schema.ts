import { z } from "zod";
import { EVENT_NAMES, EVENTS, eventToken } from "./events.js";
import { eventType } from "./envelope.js";
import { IntakeBody, ReleaseSpec } from "./spec.js";

// JSON Schema (draft 2020-12) for publishers in other languages, generated from the zod schemas.
// packages/contracts/schemas/ holds the files; a test fails when they are stale (`pnpm schemas`).

export interface SchemaFile {
  readonly file: string;
  readonly schema: Record<string, unknown>;
}

const ID_BASE = "https://baton.dev/schemas/";

function toSchema(schema: z.ZodType, file: string, title: string, description: string): SchemaFile {
  const json = z.toJSONSchema(schema, { io: "input", unrepresentable: "any" }) as Record<string, unknown>;
  return { file, schema: { $id: `${ID_BASE}${file}`, title, description, ...json } };
}

/**
 * The rules of the spec that JSON Schema cannot say (they compare fields or items with each other):
 * a body that passes the schema may still be refused by the intake for one of these. Keep in step
 * with the refinements in spec.ts (a test checks that the description names each).
 */
export const INTAKE_ONLY_RULES = [
  "liveThreshold <= replicas",
  "container names unique within template.spec.containers",
  "postRelease activity names unique",
  "each postRelease activity sets exactly one of sql, webhook",
  "request paths (validation.tests[].request.path, validation.warmup.paths[]) do not climb above the root with .. segments and, resolved against the app's URL, stay on its origin",
  "analysis metric names unique within analysis.prePromotion and within analysis.postPromotion",
  "each analysis metric sets exactly one of prometheus, web, and successCondition or failureCondition (or both)",
  "analysis conditions parse (the condition language of the README's Analysis section); templates are {{app}}, {{namespace}}, {{revision}}, {{previousRevision}}, {{releaseId}}, {{podTemplateHash}}, {{interval}}; web.url and prometheus.address are http(s) URLs once filled in",
  "each web metric header sets exactly one of value, valueFrom",
] as const;

const INTAKE_ONLY = `Checked only by the intake, not by this schema: ${INTAKE_ONLY_RULES.join("; ")}. The intake also refuses namespaces it is not allowed to release into (BATON_ALLOWED_NAMESPACES; kube-system, kube-public, kube-node-lease never).`;

export function jsonSchemas(): SchemaFile[] {
  const files: SchemaFile[] = [
    toSchema(
      IntakeBody,
      "intake-body.schema.json",
      "Baton intake body",
      `Publish on NATS subject baton.intake.<namespace> (or the plain baton.intake, when the installation answers it): the release spec, plus an optional releaseId (idempotency key). ${INTAKE_ONLY}`,
    ),
    toSchema(ReleaseSpec, "release-spec.schema.json", "Baton release spec", `The configuration a release carries. ${INTAKE_ONLY}`),
  ];
  for (const name of EVENT_NAMES) {
    const envelope = z.strictObject({
      specversion: z.literal("1.0"),
      id: z.string(),
      source: z.string(),
      type: z.literal(eventType(name)),
      subject: z.string(),
      time: z.string(),
      datacontenttype: z.literal("application/json"),
      traceparent: z.string().optional(),
      data: EVENTS[name][1],
    });
    files.push(
      toSchema(envelope, `events/${eventToken(name)}.schema.json`, name, `CloudEvents 1.0 envelope of ${name} (${eventType(name)}).`),
    );
  }
  return files;
}
