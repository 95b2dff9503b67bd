/** HTTP plumbing: the route of a request, its body, its user, and answers in JSON or protobuf. */
import type { IncomingMessage, ServerResponse } from "node:http";
import { CodecError, decodeObject, encodeObject } from "../protobuf/index.js";
import { ApiError, badRequest, unsupportedMediaType } from "./errors.js";
import { encodingFor, JSON_MEDIA, PROTOBUF_MEDIA } from "./media.js";

export interface ResourceRoute {
  group: string;
  version: string;
  resource: string;
  namespace?: string;
  name?: string;
  subresource?: string;
}

export type Route = { kind: "group-version"; group: string; version: string } | { kind: "group"; group: string } | ({ kind: "resource" } & ResourceRoute);

const NAMESPACE_SUBRESOURCES = new Set(["status", "finalize"]);

function resourceRoute(group: string, version: string, rest: string[]): Route | undefined {
  if (rest.length === 0) return { kind: "group-version", group, version };
  const [first = "", second, third, fourth, fifth, ...extra] = rest;
  const namespaced = first === "namespaces" && rest.length >= 3 && !(rest.length === 3 && NAMESPACE_SUBRESOURCES.has(third ?? ""));
  if (namespaced) {
    if (extra.length > 0 || !second || !third) return undefined;
    return { kind: "resource", group, version, namespace: second, resource: third, ...(fourth ? { name: fourth } : {}), ...(fifth ? { subresource: fifth } : {}) };
  }
  if (rest.length > 3) return undefined;
  return { kind: "resource", group, version, resource: first, ...(second ? { name: second } : {}), ...(third ? { subresource: third } : {}) };
}

/** Parses `/api/v1/...` and `/apis/<group>/<version>/...`. */
export function parseRoute(pathname: string): Route | undefined {
  const parts = pathname.split("/").filter((p) => p.length > 0).map(decodeURIComponent);
  if (parts[0] === "api" && parts[1]) return resourceRoute("", parts[1], parts.slice(2));
  if (parts[0] === "apis" && parts[1] && parts[2]) return resourceRoute(parts[1], parts[2], parts.slice(3));
  if (parts[0] === "apis" && parts[1]) return { kind: "group", group: parts[1] };
  return undefined;
}

const MAX_BODY = 3 * 1024 * 1024;

export async function readBody(req: IncomingMessage): Promise<Buffer> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of req) {
    size += (chunk as Buffer).length;
    if (size > MAX_BODY) throw new ApiError(413, "RequestEntityTooLarge", "Request entity too large: limit is 3145728");
    chunks.push(chunk as Buffer);
  }
  return Buffer.concat(chunks);
}

/** What a write's body must be: a `kind` (custom resources are JSON only), or a patch document. */
export interface BodyRule {
  /** The kind the body decodes into (`Pod`, `Scale`, `DeleteOptions`); absent for a patch. */
  into?: string;
  protobuf: boolean;
}

/** A body the server could not decode, described as the real server does: its kind, the error, its first bytes. */
function unrecognized(into: string, why: string, raw: Buffer): ApiError {
  const head = raw.subarray(0, 30);
  const summary = raw[0] === 0x7b ? head.toString("utf8") : head.toString("hex");
  return badRequest(`the object provided is unrecognized (must be of type ${into}): ${why} (${summary}${raw.length > 30 ? " ..." : ""})`);
}

/**
 * The body of a write as a JSON value: JSON, or Kubernetes protobuf for the built-in kinds (custom
 * resources and patches are JSON only: 415, as a real server answers).
 */
export async function readObject(req: IncomingMessage, rule: BodyRule): Promise<unknown> {
  const raw = await readBody(req);
  if (raw.length === 0) return undefined;
  const type = (req.headers["content-type"] ?? "").split(";")[0]?.trim().toLowerCase() ?? "";
  const accepted = rule.protobuf ? [JSON_MEDIA, PROTOBUF_MEDIA] : [JSON_MEDIA];
  if (rule.into !== undefined && type !== "" && !accepted.includes(type)) {
    throw unsupportedMediaType(`the body of the request was in an unknown format - accepted media types include: ${accepted.join(", ")}`);
  }
  if (type === PROTOBUF_MEDIA && rule.into !== undefined) {
    try {
      return decodeObject(raw);
    } catch (err) {
      if (err instanceof CodecError) throw unrecognized(rule.into, err.message, raw);
      throw err;
    }
  }
  try {
    return JSON.parse(raw.toString("utf8"));
  } catch (err) {
    const why = `couldn't get version/kind; json parse error: ${(err as Error).message}`;
    throw rule.into === undefined ? badRequest(why) : unrecognized(rule.into, why, raw);
  }
}

/** kube-sim does not authenticate: the bearer token is the user name recorded in the audit. */
export function userOf(req: IncomingMessage): string {
  const impersonated = req.headers["impersonate-user"];
  if (typeof impersonated === "string" && impersonated) return impersonated;
  const auth = req.headers.authorization ?? "";
  const m = /^Bearer\s+(.+)$/i.exec(auth);
  return m?.[1]?.trim() || "system:anonymous";
}

export function sendJson(res: ServerResponse, code: number, body: unknown): void {
  const text = JSON.stringify(body);
  res.writeHead(code, { "Content-Type": JSON_MEDIA, "Content-Length": Buffer.byteLength(text), "Cache-Control": "no-cache, private" });
  res.end(text);
}

/** Answers with an API object in the encoding the client prefers among those that can carry it. */
export function send(res: ServerResponse, code: number, body: unknown): void {
  if (encodingFor(res, body) === "json") return sendJson(res, code, body);
  const data = encodeObject(body);
  res.writeHead(code, { "Content-Type": PROTOBUF_MEDIA, "Content-Length": data.length, "Cache-Control": "no-cache, private" });
  res.end(data);
}

export function sendError(res: ServerResponse, err: ApiError): void {
  send(res, err.code, err.toStatus());
}

export function flag(query: URLSearchParams, name: string): boolean {
  const v = query.get(name);
  return v === "true" || v === "1";
}
