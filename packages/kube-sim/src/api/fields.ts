/**
 * Server-side field validation of a body, as a real API server decodes JSON into its Go types (or
 * a custom resource by its schema): unknown fields are dropped (`fieldValidation=Ignore`), dropped with a `Warning`
 * header (`Warn`, the default) or refused (`Strict`, which kubectl sends); a value of the wrong type
 * is always refused.
 */
import type { KObject } from "../kinds.js";
import { checkObject, CodecError } from "../protobuf/index.js";
import { ApiError, badRequest, invalid } from "./errors.js";
import type { ResourceType } from "./resources.js";

export type FieldValidation = "Ignore" | "Warn" | "Strict";

const VALUES = ["", "Ignore", "Strict", "Warn"];

/** The `fieldValidation` query parameter of a write; 422 for a value the real server does not know. */
export function fieldValidationOf(query: URLSearchParams, options: string): FieldValidation {
  const v = query.get("fieldValidation") ?? "";
  if (!VALUES.includes(v)) {
    throw invalid(options, "meta.k8s.io", "", [{ type: "NotSupported", field: "fieldValidation", value: v, detail: `supported values: ${VALUES.map((x) => JSON.stringify(x)).join(", ")}` }]);
  }
  return (v || "Warn") as FieldValidation;
}

export interface FieldCheck {
  validation?: FieldValidation;
  /** Collects the warnings of a `Warn` write. */
  warnings?: string[];
  /** The body is the result of a patch (errors are 422 on `patch`, as the real server words them). */
  patch?: boolean;
}

function refused(rt: ResourceType, obj: KObject, why: string, check: FieldCheck): ApiError {
  if (!check.patch) return badRequest(`${rt.kind} in version "${rt.version}" cannot be handled as a ${rt.kind}: ${why}`);
  const message = `Invalid value: ${JSON.stringify(JSON.stringify(obj))}: ${why}`;
  return new ApiError(422, "Invalid", ` "" is invalid: patch: ${message}`, { causes: [{ reason: "FieldValueInvalid", message, field: "patch" }] });
}

/** Checks (and prunes) a body in place: a built-in kind by its Go type, a custom resource by its schema. */
export function checkFields(rt: ResourceType, obj: KObject, check: FieldCheck): void {
  let unknown: string[] | undefined;
  const original = check.patch && check.validation === "Strict" ? structuredClone(obj) : obj;
  try {
    unknown = rt.isCustom ? rt.strategy.pruneUnknown?.(obj) : checkObject(rt.apiVersion, rt.kind, obj);
  } catch (err) {
    if (err instanceof CodecError) throw refused(rt, obj, err.message, check);
    throw err;
  }
  if (!unknown || unknown.length === 0) return;
  const notes = unknown.map((path) => `unknown field "${path}"`);
  if (check.validation === "Strict") throw refused(rt, original, `strict decoding error: ${notes.join(", ")}`, check);
  if (check.validation === "Warn") check.warnings?.push(...notes);
}
