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

export function jsonSchemas(): SchemaFile[] {
  const files: SchemaFile[] = [
    toSchema(
      IntakeBody,
      "intake-body.schema.json",
      "Baton intake body",
      "Publish on NATS subject baton.intake.<namespace> (or the plain baton.intake, when the installation answers it): the release spec, plus an optional releaseId (idempotency key).",
    ),
    toSchema(ReleaseSpec, "release-spec.schema.json", "Baton release spec", "The configuration a release carries."),
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
