/** Kubernetes `Status` errors, with the codes, reasons and messages of a real API server. */

export interface StatusCause {
  reason?: string;
  message?: string;
  field?: string;
}

export interface StatusDetails {
  name?: string;
  group?: string;
  kind?: string;
  uid?: string;
  causes?: StatusCause[];
  retryAfterSeconds?: number;
}

export interface Status {
  kind: "Status";
  apiVersion: "v1";
  metadata: Record<string, never>;
  status: "Failure" | "Success";
  message?: string;
  reason?: string;
  details?: StatusDetails;
  code: number;
}

/** Identifies a resource in messages: `pods`, `deployments.apps`. */
export interface GroupResource {
  group: string;
  resource: string;
}

/** An error the API answers with a `Status` object. */
export class ApiError extends Error {
  override readonly name = "ApiError";
  constructor(
    readonly code: number,
    readonly reason: string,
    message: string,
    readonly details?: StatusDetails,
    options?: { cause?: unknown },
  ) {
    super(message, options);
  }

  toStatus(): Status {
    const status: Status = {
      kind: "Status",
      apiVersion: "v1",
      metadata: {},
      status: "Failure",
      message: this.message,
      reason: this.reason,
      code: this.code,
    };
    if (this.details) status.details = this.details;
    return status;
  }
}

export function qualified(gr: GroupResource): string {
  return gr.group ? `${gr.resource}.${gr.group}` : gr.resource;
}

function details(gr: GroupResource, name: string): StatusDetails {
  const d: StatusDetails = { name, kind: gr.resource };
  if (gr.group) d.group = gr.group;
  return d;
}

export function notFound(gr: GroupResource, name: string): ApiError {
  return new ApiError(404, "NotFound", `${qualified(gr)} "${name}" not found`, details(gr, name));
}

export function alreadyExists(gr: GroupResource, name: string): ApiError {
  return new ApiError(409, "AlreadyExists", `${qualified(gr)} "${name}" already exists`, details(gr, name));
}

export function conflict(gr: GroupResource, name: string, why?: string): ApiError {
  const reason = why ?? "the object has been modified; please apply your changes to the latest version and try again";
  return new ApiError(409, "Conflict", `Operation cannot be fulfilled on ${qualified(gr)} "${name}": ${reason}`, details(gr, name));
}

export function badRequest(message: string): ApiError {
  return new ApiError(400, "BadRequest", message);
}

export function methodNotAllowed(): ApiError {
  return new ApiError(405, "MethodNotAllowed", "the server does not allow this method on the requested resource", {});
}

export function pathNotFound(): ApiError {
  return new ApiError(404, "NotFound", "the server could not find the requested resource", {});
}

export function forbidden(gr: GroupResource, name: string, why: string): ApiError {
  const target = name ? `${qualified(gr)} "${name}"` : qualified(gr);
  return new ApiError(403, "Forbidden", `${target} is forbidden: ${why}`, details(gr, name));
}

export function unsupportedMediaType(message: string): ApiError {
  return new ApiError(415, "UnsupportedMediaType", message, {});
}

export function expired(message: string): ApiError {
  return new ApiError(410, "Expired", message);
}

export function internalError(err: unknown): ApiError {
  const text = err instanceof Error ? err.message : String(err);
  return new ApiError(500, "InternalError", `Internal error occurred: ${text}`, { causes: [{ message: text }] }, { cause: err });
}

/** One field error, formatted like Go's `field.Error`. */
export interface FieldError {
  type: "Required" | "Invalid" | "Forbidden" | "NotSupported" | "Duplicate" | "TooLong";
  field: string;
  value?: unknown;
  detail?: string;
}

const FIELD_REASON: Record<FieldError["type"], [string, string]> = {
  Required: ["FieldValueRequired", "Required value"],
  Invalid: ["FieldValueInvalid", "Invalid value"],
  Forbidden: ["FieldValueForbidden", "Forbidden"],
  NotSupported: ["FieldValueNotSupported", "Unsupported value"],
  Duplicate: ["FieldValueDuplicate", "Duplicate value"],
  TooLong: ["FieldValueTooLong", "Too long"],
};

function goValue(value: unknown): string {
  if (typeof value === "string") return JSON.stringify(value);
  if (value === null || value === undefined) return "null";
  if (typeof value === "object") return JSON.stringify(value);
  return String(value);
}

function causeMessage(e: FieldError): string {
  const [, label] = FIELD_REASON[e.type];
  const withValue = e.type === "Invalid" || e.type === "NotSupported" || e.type === "Duplicate";
  let text = withValue ? `${label}: ${goValue(e.value)}` : label;
  if (e.detail) text += `: ${e.detail}`;
  return text;
}

/** 422 Invalid, e.g. `Pod "web" is invalid: spec.containers: Required value`. */
export function invalid(kind: string, group: string, name: string, errors: FieldError[]): ApiError {
  const causes = errors.map((e) => ({ reason: FIELD_REASON[e.type][0], message: causeMessage(e), field: e.field }));
  const parts = errors.map((e) => `${e.field}: ${causeMessage(e)}`);
  const summary = parts.length === 1 ? parts[0] : `[${parts.join(", ")}]`;
  const qualifiedKind = group ? `${kind}.${group}` : kind;
  const d: StatusDetails = { ...(name ? { name } : {}), ...(group ? { group } : {}), kind, causes };
  return new ApiError(422, "Invalid", `${qualifiedKind} "${name}" is invalid: ${summary}`, d);
}
