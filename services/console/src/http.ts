import type { IncomingMessage, ServerResponse } from "node:http";

// The few HTTP helpers the console's routes share: JSON answers, bounded bodies, cookies, and the
// security headers every answer carries.

export class HttpError extends Error {
  override name = "HttpError";
  constructor(
    readonly status: number,
    message: string,
  ) {
    super(message);
  }
}

export const SECURITY_HEADERS: Readonly<Record<string, string>> = {
  "x-content-type-options": "nosniff",
  "x-frame-options": "DENY",
  "referrer-policy": "same-origin",
  "cross-origin-opener-policy": "same-origin",
};

/** The page's Content-Security-Policy: its own scripts, styles and API only; a sign-in form may post to the provider. */
export function contentSecurityPolicy(formTargets: readonly string[] = []): string {
  return [
    "default-src 'self'",
    "script-src 'self'",
    "style-src 'self'",
    "img-src 'self' data:",
    "connect-src 'self'",
    "frame-ancestors 'none'",
    "base-uri 'none'",
    "object-src 'none'",
    `form-action 'self'${formTargets.map((t) => ` ${t}`).join("")}`,
  ].join("; ");
}

export function sendJson(res: ServerResponse, status: number, body: unknown, headers: Record<string, string> = {}): void {
  const text = JSON.stringify(body);
  res.writeHead(status, { ...SECURITY_HEADERS, "content-type": "application/json; charset=utf-8", "cache-control": "no-store", ...headers });
  res.end(text);
}

export function sendError(res: ServerResponse, err: HttpError): void {
  sendJson(res, err.status, { error: err.message });
}

export function redirect(res: ServerResponse, location: string, cookies: readonly string[] = []): void {
  res.writeHead(302, { ...SECURITY_HEADERS, location, "cache-control": "no-store", ...(cookies.length > 0 ? { "set-cookie": [...cookies] } : {}) });
  res.end();
}

const MAX_BODY = 16 * 1024;

/** A JSON object body of at most 16 KiB; anything else is a 400 or 413 naming the rule. */
export async function readJson(req: IncomingMessage): Promise<Record<string, unknown>> {
  const type = req.headers["content-type"] ?? "";
  if (!/^application\/json\b/.test(type)) throw new HttpError(415, "body: must be application/json");
  let size = 0;
  const chunks: Buffer[] = [];
  for await (const chunk of req) {
    size += (chunk as Buffer).length;
    if (size > MAX_BODY) throw new HttpError(413, `body: must be at most ${MAX_BODY} bytes`);
    chunks.push(chunk as Buffer);
  }
  if (size === 0) return {};
  let parsed: unknown;
  try {
    parsed = JSON.parse(Buffer.concat(chunks).toString("utf8"));
  } catch {
    throw new HttpError(400, "body: must be JSON");
  }
  if (parsed === null || typeof parsed !== "object" || Array.isArray(parsed)) throw new HttpError(400, "body: must be a JSON object");
  return parsed as Record<string, unknown>;
}

export function cookiesOf(req: IncomingMessage): Record<string, string> {
  const out: Record<string, string> = {};
  for (const part of (req.headers.cookie ?? "").split(";")) {
    const eq = part.indexOf("=");
    if (eq < 1) continue;
    const name = part.slice(0, eq).trim();
    if (!(name in out)) out[name] = decodeURIComponent(part.slice(eq + 1).trim());
  }
  return out;
}

export interface CookieOptions {
  readonly maxAgeS: number;
  readonly secure: boolean;
  readonly sameSite: "Strict" | "Lax";
  readonly path?: string;
}

export function cookie(name: string, value: string, o: CookieOptions): string {
  return [`${name}=${encodeURIComponent(value)}`, `Path=${o.path ?? "/"}`, `Max-Age=${Math.max(0, Math.floor(o.maxAgeS))}`, "HttpOnly", `SameSite=${o.sameSite}`, ...(o.secure ? ["Secure"] : [])].join("; ");
}
