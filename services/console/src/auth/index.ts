import { randomBytes, timingSafeEqual } from "node:crypto";
import type { IncomingMessage, ServerResponse } from "node:http";
import type { ConsoleMe, ConsoleSignIn } from "@baton/contracts";
import type { Logger } from "@baton/runtime";
import type { ConsoleConfig, StaticToken } from "../config.js";
import type { ConsoleMetrics } from "../metrics.js";
import { HttpError, cookie, cookiesOf, readJson, redirect, sendJson } from "../http.js";
import { OidcLogin, type FlowState } from "./oidc.js";
import type { Principal } from "./principal.js";
import { Access } from "./roles.js";
import { FLOW_COOKIE, SESSION_COOKIE, Signer, newSession, openSession, sealSession, tokenHash } from "./session.js";

// Who is asking, and may they: sessions (signed cookies) from OIDC or a static token pasted into
// the sign-in page; static bearer tokens for scripts; and with --insecure-no-auth an anonymous
// admin (local development only). Actions by a session need its CSRF token and a same-origin request.

export type { Principal } from "./principal.js";
export { Access, atLeast } from "./roles.js";

const ANONYMOUS = "anonymous";

export class Auth {
  readonly access: Access;
  private readonly signer: Signer;
  private readonly oidc: OidcLogin | null;
  private readonly tokens: readonly (StaticToken & { hash: Buffer })[];
  /** With --insecure-no-auth: one session for everyone (its CSRF token still guards actions). */
  private readonly anonymous: Principal | null;

  constructor(
    private readonly cfg: ConsoleConfig,
    private readonly log: Logger,
    private readonly metrics: ConsoleMetrics,
  ) {
    this.signer = new Signer(cfg.sessionSecret ?? randomBytes(32).toString("hex"));
    this.access = new Access(cfg.insecureNoAuth && cfg.oidc === null && cfg.tokens.length === 0 ? [{ users: [ANONYMOUS], groups: [], namespaces: ["*"], role: "admin" }] : cfg.roles);
    this.oidc = cfg.oidc === null || cfg.publicUrl === null ? null : new OidcLogin(cfg.oidc, new URL("/auth/callback", cfg.publicUrl));
    this.tokens = cfg.tokens.map((t) => ({ ...t, hash: Buffer.from(t.sha256, "hex") }));
    this.anonymous = cfg.insecureNoAuth && cfg.oidc === null && cfg.tokens.length === 0 ? { user: ANONYMOUS, via: "none", groups: [], sid: randomBytes(16).toString("base64url"), expiresAt: null } : null;
  }

  /** The principal of a request: a bearer token, else the session cookie; null when neither. */
  principal(req: IncomingMessage): Principal | null {
    if (this.anonymous !== null) return this.anonymous;
    const header = req.headers.authorization;
    if (header !== undefined) {
      const m = /^Bearer\s+(\S+)$/i.exec(header);
      const t = m?.[1] === undefined ? undefined : this.tokenNamed(m[1]);
      return t === undefined ? null : { user: t.name, via: "token", groups: t.groups, sid: null, expiresAt: null };
    }
    return openSession(this.signer, cookiesOf(req)[SESSION_COOKIE]);
  }

  signIn(): ConsoleSignIn {
    return { oidc: this.cfg.oidc === null ? null : { name: this.cfg.oidc.name }, tokens: this.tokens.length > 0 };
  }

  me(p: Principal): ConsoleMe {
    return { user: p.user, via: p.via, roles: this.access.rolesOf(p), csrfToken: p.sid === null ? "" : this.signer.csrfToken(p.sid) };
  }

  /**
   * A request that changes something must come from the console's own page: the session's CSRF
   * token in X-CSRF-Token, and no foreign Origin. A bearer-token request carries no ambient
   * credential (a browser never adds it), so it needs neither.
   */
  checkWrite(req: IncomingMessage, p: Principal): void {
    if (p.sid === null) return;
    this.checkOrigin(req);
    const token = req.headers["x-csrf-token"];
    if (!this.signer.checkCsrf(p.sid, typeof token === "string" ? token : undefined)) {
      throw new HttpError(403, "missing or wrong X-CSRF-Token: actions must come from the console's page (reload it)");
    }
  }

  /** Refuses a cross-site request (its Origin, or Sec-Fetch-Site, says it comes from elsewhere). */
  checkOrigin(req: IncomingMessage): void {
    const origin = req.headers.origin;
    const expected = this.cfg.publicUrl?.origin ?? (req.headers.host === undefined ? undefined : `http://${req.headers.host}`);
    if (origin !== undefined && origin !== expected && !(this.cfg.publicUrl === null && sameHost(origin, req.headers.host))) {
      throw new HttpError(403, `cross-origin request refused (Origin ${origin})`);
    }
    const site = req.headers["sec-fetch-site"];
    if (site !== undefined && site !== "same-origin" && site !== "none") throw new HttpError(403, `cross-site request refused (Sec-Fetch-Site ${String(site)})`);
  }

  /** The /auth/… routes; false when the path is not one of them. */
  async handle(req: IncomingMessage, res: ServerResponse, url: URL): Promise<boolean> {
    const route = `${req.method} ${url.pathname}`;
    switch (route) {
      case "GET /auth/login":
        await this.login(res, url);
        return true;
      case "GET /auth/callback":
        await this.callback(res, url, req);
        return true;
      case "POST /auth/token":
        await this.tokenSignIn(req, res);
        return true;
      case "POST /auth/logout":
        this.logout(req, res);
        return true;
      default:
        return false;
    }
  }

  private async login(res: ServerResponse, url: URL): Promise<void> {
    if (this.oidc === null) throw new HttpError(404, "sign-in with OIDC is not configured here");
    const { url: target, flow } = await this.oidc.start(safeReturnTo(url.searchParams.get("returnTo")));
    redirect(res, target.href, [cookie(FLOW_COOKIE, this.signer.seal("flow", flow), { ...this.cookieBase(), sameSite: "Lax", path: "/auth", maxAgeS: (flow.exp - Date.now()) / 1000 })]);
  }

  private async callback(res: ServerResponse, url: URL, req: IncomingMessage): Promise<void> {
    if (this.oidc === null || this.cfg.publicUrl === null) throw new HttpError(404, "sign-in with OIDC is not configured here");
    const flow = this.signer.open<FlowState>("flow", cookiesOf(req)[FLOW_COOKIE]);
    // The URL the provider redirected to, as the provider saw it (behind a proxy the request's own host may differ).
    const callbackUrl = new URL(`${url.pathname}${url.search}`, this.cfg.publicUrl);
    let identity;
    try {
      identity = await this.oidc.finish(callbackUrl, flow);
    } catch (err) {
      this.metrics.signIns.inc({ via: "oidc", result: "refused" });
      throw err;
    }
    const session = newSession(identity.user, "oidc", this.access.relevantGroups(identity.groups), this.cfg.sessionTtlMs);
    this.metrics.signIns.inc({ via: "oidc", result: "ok" });
    this.log.info({ user: session.user, via: "oidc", groups: session.groups }, "signed in");
    redirect(res, flow?.returnTo ?? "/", [this.sessionCookie(session), cookie(FLOW_COOKIE, "", { ...this.cookieBase(), sameSite: "Lax", path: "/auth", maxAgeS: 0 })]);
  }

  private async tokenSignIn(req: IncomingMessage, res: ServerResponse): Promise<void> {
    this.checkOrigin(req);
    const body = await readJson(req);
    const t = typeof body.token === "string" ? this.tokenNamed(body.token) : undefined;
    if (t === undefined) {
      this.metrics.signIns.inc({ via: "token", result: "refused" });
      throw new HttpError(401, "token: not a token this console knows");
    }
    const session = newSession(t.name, "token", t.groups, this.cfg.sessionTtlMs);
    this.metrics.signIns.inc({ via: "token", result: "ok" });
    this.log.info({ user: session.user, via: "token" }, "signed in");
    sendJson(res, 200, this.me(session), { "set-cookie": this.sessionCookie(session) });
  }

  private logout(req: IncomingMessage, res: ServerResponse): void {
    const p = this.principal(req);
    if (p !== null) this.checkWrite(req, p);
    res.writeHead(204, { "set-cookie": cookie(SESSION_COOKIE, "", { ...this.cookieBase(), sameSite: "Strict", maxAgeS: 0 }), "cache-control": "no-store" });
    res.end();
  }

  private sessionCookie(p: Principal): string {
    return cookie(SESSION_COOKIE, sealSession(this.signer, p), { ...this.cookieBase(), sameSite: "Strict", maxAgeS: this.cfg.sessionTtlMs / 1000 });
  }

  private cookieBase(): { secure: boolean } {
    return { secure: this.cfg.publicUrl?.protocol === "https:" };
  }

  private tokenNamed(token: string): StaticToken | undefined {
    const hash = Buffer.from(tokenHash(token), "hex");
    return this.tokens.find((t) => timingSafeEqual(t.hash, hash));
  }
}

/** Only a path of this console (never another site: no open redirect). */
function safeReturnTo(value: string | null): string {
  return value !== null && value.startsWith("/") && !value.startsWith("//") && !value.includes("\\") ? value : "/";
}

function sameHost(origin: string, host: string | undefined): boolean {
  try {
    return host !== undefined && new URL(origin).host === host;
  } catch {
    return false;
  }
}
