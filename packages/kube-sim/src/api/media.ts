/**
 * Content negotiation: which encoding an answer goes out in (JSON or Kubernetes protobuf) from the
 * client's Accept header, as a real API server chooses it; custom resources, Tables and the other
 * documents without a protobuf message stay JSON.
 */
import type { IncomingMessage, ServerResponse } from "node:http";
import { hasProtobuf } from "../protobuf/index.js";
import { ApiError } from "./errors.js";

export const JSON_MEDIA = "application/json";
export const PROTOBUF_MEDIA = "application/vnd.kubernetes.protobuf";

export type Encoding = "json" | "protobuf";

interface MediaRange {
  type: string;
  params: Map<string, string>;
  q: number;
}

function parseRange(part: string): MediaRange {
  const [type = "", ...rest] = part.split(";").map((s) => s.trim());
  const params = new Map<string, string>();
  for (const p of rest) {
    const eq = p.indexOf("=");
    if (eq > 0) params.set(p.slice(0, eq).trim().toLowerCase(), p.slice(eq + 1).trim());
  }
  const q = Number(params.get("q") ?? "1");
  return { type: type.toLowerCase(), params, q: Number.isFinite(q) ? q : 0 };
}

function encodingOf(range: MediaRange): Encoding | undefined {
  const as = range.params.get("as");
  // A Table is JSON (table.ts answers it); other `as=` views (PartialObjectMetadata, discovery v2) are not served.
  if (as !== undefined && as !== "Table") return undefined;
  if (range.type === PROTOBUF_MEDIA) return as === undefined ? "protobuf" : undefined;
  if (range.type === JSON_MEDIA || range.type === "application/*" || range.type === "*/*") return "json";
  return undefined;
}

/** The encodings an Accept header allows, most preferred first; JSON when it says nothing. */
export function acceptedEncodings(accept: string | undefined): Encoding[] {
  if (!accept?.trim()) return ["json"];
  const ranges = accept
    .split(",")
    .filter((p) => p.trim())
    .map(parseRange)
    .filter((r) => r.q > 0);
  const sorted = ranges.map((r, i) => ({ r, i })).sort((a, b) => b.r.q - a.r.q || a.i - b.i);
  const out: Encoding[] = [];
  for (const { r } of sorted) {
    const enc = encodingOf(r);
    if (enc && !out.includes(enc)) out.push(enc);
  }
  return out;
}

/** 406 for an Accept header that names nothing the endpoint writes (the real server's wording). */
export function notAcceptable(types: string[]): ApiError {
  return new ApiError(406, "NotAcceptable", `406: Not Acceptable\n\nAvailable representations: ${types.join(", ")}`, {});
}

const PREFERENCES = new WeakMap<ServerResponse, Encoding[]>();

/** Records what the client of this exchange accepts; a 406 when it accepts nothing kube-sim writes. */
export function negotiate(req: IncomingMessage, res: ServerResponse): void {
  const accepted = acceptedEncodings(req.headers.accept);
  PREFERENCES.set(res, accepted.length > 0 ? accepted : ["json"]);
  if (accepted.length === 0) throw notAcceptable([JSON_MEDIA, PROTOBUF_MEDIA]);
}

function acceptsJson(res: ServerResponse): boolean {
  return (PREFERENCES.get(res) ?? ["json"]).includes("json");
}

/** A 406 unless the client accepts JSON: custom resources have no protobuf form (the real server's wording). */
export function requireJson(res: ServerResponse): void {
  if (!acceptsJson(res)) throw new ApiError(406, "NotAcceptable", `only the following media types are accepted: ${JSON_MEDIA}`);
}

/** A 406 unless the client accepts JSON, for documents that only have a JSON form (/version). */
export function requireJsonDocument(req: IncomingMessage, res: ServerResponse): void {
  negotiate(req, res);
  if (!acceptsJson(res)) throw notAcceptable([JSON_MEDIA]);
}

/** The encoding a body goes out in: the client's first choice that can carry it. */
export function encodingFor(res: ServerResponse, body: unknown): Encoding {
  const b = body as { apiVersion?: string; kind?: string } | null;
  for (const enc of PREFERENCES.get(res) ?? ["json"]) {
    if (enc === "json") return "json";
    if (typeof b === "object" && b !== null && hasProtobuf(b.apiVersion, b.kind)) return "protobuf";
  }
  return "json";
}
