/** Applies the three patch types (and server-side apply's body) to an object, with API errors. */
import { applyJsonPatch, JsonPatchApplyError, JsonPatchFormatError } from "../machinery/json-patch.js";
import { applyMergePatch } from "../machinery/merge-patch.js";
import { isPlainObject } from "../machinery/objects.js";
import { applyStrategicMergePatch, DEFAULT_MERGE_SCHEMA, MERGE_SCHEMAS, StrategicMergeError } from "../machinery/strategic-merge.js";
import { ApiError, badRequest, unsupportedMediaType } from "./errors.js";

export const PATCH_TYPES = {
  json: "application/json-patch+json",
  merge: "application/merge-patch+json",
  strategic: "application/strategic-merge-patch+json",
  apply: "application/apply-patch+yaml",
} as const;

/** The patch type of a request's Content-Type, or a 415. */
export function patchTypeOf(contentType: string | undefined, isCustom: boolean): string {
  const type = (contentType ?? "").split(";")[0]?.trim().toLowerCase() ?? "";
  const known: string[] = Object.values(PATCH_TYPES);
  // The real server's patch handler answers an unknown patch type tersely.
  if (!known.includes(type)) throw unsupportedMediaType("415: Unsupported Media Type");
  if (type === PATCH_TYPES.strategic && isCustom) {
    throw unsupportedMediaType(`the body of the request was in an unknown format - accepted media types include: ${PATCH_TYPES.json}, ${PATCH_TYPES.merge}, ${PATCH_TYPES.apply}`);
  }
  return type;
}

/** How Go's encoding/json names a JSON value's type in its errors. */
function goJsonType(v: unknown): string {
  if (Array.isArray(v)) return "array";
  if (v === null) return "null";
  return typeof v === "boolean" ? "bool" : typeof v;
}

function invalidPatch(message: string): ApiError {
  return new ApiError(422, "Invalid", message, { causes: [{ reason: "FieldValueInvalid", message }] });
}

export function applyPatch(current: unknown, patchType: string, patch: unknown, kind: string): unknown {
  try {
    switch (patchType) {
      case PATCH_TYPES.json:
        return applyJsonPatch(current, patch);
      case PATCH_TYPES.merge:
        if (!isPlainObject(patch)) throw badRequest(`error decoding patch: json: cannot unmarshal ${goJsonType(patch)} into Go value of type map[string]interface {}`);
        return applyMergePatch(current, patch);
      case PATCH_TYPES.strategic:
        return applyStrategicMergePatch(current, patch, MERGE_SCHEMAS[kind] ?? DEFAULT_MERGE_SCHEMA);
      case PATCH_TYPES.apply:
        return applyStrategicMergePatch(current, patch, MERGE_SCHEMAS[kind] ?? DEFAULT_MERGE_SCHEMA);
      default:
        throw unsupportedMediaType(`unknown patch type ${patchType}`);
    }
  } catch (err) {
    if (err instanceof JsonPatchFormatError) throw invalidPatch(err.message);
    if (err instanceof JsonPatchApplyError) throw invalidPatch(err.message);
    if (err instanceof StrategicMergeError) throw badRequest(err.message);
    throw err;
  }
}
