import { createHash, createHmac, randomBytes, timingSafeEqual } from "node:crypto";
import type { Principal } from "./principal.js";

// Sessions live in the browser, in a signed cookie (HMAC-SHA256 with BATON_CONSOLE_SESSION_SECRET),
// so any replica serves any request and the console keeps no state. The cookie is HttpOnly,
// SameSite=Strict, Secure behind https, and carries only who the person is, the groups some role
// rule names, and when the session ends. A signing key per purpose: a session cookie cannot pass
// for a sign-in flow cookie, nor a CSRF token for either.

export const SESSION_COOKIE = "baton_session";
export const FLOW_COOKIE = "baton_oidc";

type Purpose = "session" | "flow" | "csrf";

export class Signer {
  private readonly keys: Record<Purpose, Buffer>;

  constructor(secret: string) {
    const derive = (purpose: Purpose) => createHmac("sha256", secret).update(`baton-console:${purpose}`).digest();
    this.keys = { session: derive("session"), flow: derive("flow"), csrf: derive("csrf") };
  }

  /** `<payload>.<signature>`, both base64url. */
  seal(purpose: Exclude<Purpose, "csrf">, value: unknown): string {
    const body = Buffer.from(JSON.stringify(value)).toString("base64url");
    return `${body}.${this.mac(purpose, body)}`;
  }

  /** The value sealed for this purpose, or null when the text was not (tampered, other key, garbage). */
  open<T>(purpose: Exclude<Purpose, "csrf">, text: string | undefined): T | null {
    if (text === undefined) return null;
    const dot = text.indexOf(".");
    if (dot < 1) return null;
    const body = text.slice(0, dot);
    if (!same(text.slice(dot + 1), this.mac(purpose, body))) return null;
    try {
      return JSON.parse(Buffer.from(body, "base64url").toString("utf8")) as T;
    } catch {
      return null;
    }
  }

  /** The CSRF token of a session: only a page of this origin can read it (from GET /api/me). */
  csrfToken(sid: string): string {
    return this.mac("csrf", sid);
  }

  checkCsrf(sid: string, token: string | undefined): boolean {
    return token !== undefined && same(token, this.csrfToken(sid));
  }

  private mac(purpose: Purpose, data: string): string {
    return createHmac("sha256", this.keys[purpose]).update(data).digest("base64url");
  }
}

function same(a: string, b: string): boolean {
  const x = Buffer.from(a);
  const y = Buffer.from(b);
  return x.length === y.length && timingSafeEqual(x, y);
}

interface SessionClaims {
  readonly u: string;
  readonly v: Principal["via"];
  readonly g: readonly string[];
  readonly sid: string;
  readonly exp: number;
}

export function newSession(user: string, via: Principal["via"], groups: readonly string[], ttlMs: number, now = Date.now()): Principal {
  return { user, via, groups, sid: randomBytes(16).toString("base64url"), expiresAt: now + ttlMs };
}

export function sealSession(signer: Signer, p: Principal): string {
  const claims: SessionClaims = { u: p.user, v: p.via, g: p.groups, sid: p.sid ?? "", exp: p.expiresAt ?? 0 };
  return signer.seal("session", claims);
}

/** The principal of a session cookie, or null when there is none, it is forged, or it has ended. */
export function openSession(signer: Signer, cookie: string | undefined, now = Date.now()): Principal | null {
  const c = signer.open<SessionClaims>("session", cookie);
  if (c === null || typeof c.exp !== "number" || c.exp <= now || typeof c.u !== "string" || !Array.isArray(c.g)) return null;
  return { user: c.u, via: c.v, groups: c.g, sid: c.sid, expiresAt: c.exp };
}

/** SHA-256 hex of a bearer token (how the access file names static tokens). */
export function tokenHash(token: string): string {
  return createHash("sha256").update(token).digest("hex");
}
