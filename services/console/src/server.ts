import { createServer, type IncomingMessage, type Server, type ServerResponse } from "node:http";
import { CoreV1Api } from "@kubernetes/client-node";
import type { ActionResponse } from "@baton/contracts";
import { PodWatchHub, loadKubeConfig, messageOf, type Logger, type Metrics, type Runtime } from "@baton/runtime";
import { ACTIONS, actionRefusal } from "./api/actions.js";
import { ReadApi } from "./api/releases.js";
import { Auth, atLeast, type Principal } from "./auth/index.js";
import type { ConsoleConfig } from "./config.js";
import { HttpError, readJson, sendError, sendJson } from "./http.js";
import { LiveHub } from "./live/hub.js";
import { ReleasePods } from "./live/pods.js";
import { openStream } from "./live/sse.js";
import { consoleMetrics, type ConsoleMetrics } from "./metrics.js";
import { StaticFiles, defaultStaticDir } from "./static.js";

// The console's HTTP server: the sign-in routes, the JSON API, the live stream, and the front end.
// Stateless: sessions are signed cookies, live data comes from each replica's own ordered consumers.

export interface ConsoleServer {
  readonly url: string;
  readonly port: number;
  stop(): Promise<void>;
}

const MAX_REASON = 1024;
const AUTH_ROUTES = ["/auth/login", "/auth/callback", "/auth/token", "/auth/logout"];

export async function startConsole(rt: Runtime & { readonly metrics: Metrics }, cfg: ConsoleConfig, log: Logger): Promise<ConsoleServer> {
  const metrics = consoleMetrics(rt.metrics.registry);
  const auth = new Auth(cfg, log, metrics);
  const hub = new LiveHub(rt, log.child({ component: "live" }));
  await hub.start();
  const pods = podWatch(rt, cfg, log);
  const api = new ReadApi(rt, hub, auth.access, cfg.listWindow);
  const files = new StaticFiles(cfg.staticDir ?? defaultStaticDir(), cfg.oidc === null ? [] : [new URL(cfg.oidc.issuer).origin]);
  if (!files.built) log.warn("the console's front end is not built (pnpm build): the API works, pages answer 503");
  const routes = new Routes(rt, auth, api, hub, pods.view, metrics, files, log);
  const server: Server = createServer((req, res) => void routes.handle(req, res));
  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen(cfg.port, cfg.host, () => resolve());
  });
  const address = server.address();
  const port = typeof address === "object" && address !== null ? address.port : cfg.port;
  const url = `http://${cfg.host === "0.0.0.0" || cfg.host === "::" ? "127.0.0.1" : cfg.host}:${port}`;
  log.info({ url, auth: { oidc: cfg.oidc !== null, tokens: cfg.tokens.length, insecureNoAuth: cfg.insecureNoAuth } }, "console serving");
  return {
    url,
    port,
    async stop() {
      server.closeIdleConnections();
      const closed = new Promise<void>((resolve) => server.close(() => resolve()));
      server.closeAllConnections(); // live streams never end on their own
      await closed;
      await hub.stop();
      await pods.close();
    },
  };
}

/** The shared pod watch, when the console may see the cluster. */
function podWatch(rt: Runtime, cfg: ConsoleConfig, log: Logger): { view: ReleasePods; close: () => Promise<void> } {
  if (!cfg.watchPods) return { view: new ReleasePods(null, "the console does not watch pods (BATON_CONSOLE_WATCH_PODS=false)"), close: async () => undefined };
  try {
    const kc = loadKubeConfig(rt.config);
    const hub = new PodWatchHub(kc, kc.makeApiClient(CoreV1Api), log.child({ component: "pod-watch" }), rt.metrics);
    return { view: new ReleasePods(hub, ""), close: () => hub.close() };
  } catch (err) {
    log.warn({ err: messageOf(err) }, "no cluster access: pods are not shown");
    return { view: new ReleasePods(null, `the console has no cluster access: ${messageOf(err)}`), close: async () => undefined };
  }
}

class Routes {
  constructor(
    private readonly rt: Runtime,
    private readonly auth: Auth,
    private readonly api: ReadApi,
    private readonly hub: LiveHub,
    private readonly pods: ReleasePods,
    private readonly metrics: ConsoleMetrics,
    private readonly files: StaticFiles,
    private readonly log: Logger,
  ) {}

  async handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const url = new URL(req.url ?? "/", "http://console.invalid");
    let route = "static";
    res.once("finish", () => this.metrics.requests.inc({ route, status: String(res.statusCode) }));
    try {
      if (url.pathname.startsWith("/auth/")) {
        route = AUTH_ROUTES.includes(url.pathname) ? url.pathname : "/auth/*";
        if (await this.auth.handle(req, res, url)) return;
        throw new HttpError(404, `no route ${req.method} ${url.pathname}`);
      }
      if (url.pathname.startsWith("/api/")) {
        route = "/api/*";
        route = await this.api_(req, res, url);
        return;
      }
      if (req.method !== "GET" && req.method !== "HEAD") throw new HttpError(405, "method not allowed");
      await this.files.serve(req, res, url.pathname);
    } catch (err) {
      if (err instanceof HttpError && !res.headersSent) sendError(res, err);
      else if (!(err instanceof HttpError)) {
        this.log.error({ err, route }, "request failed");
        if (!res.headersSent) sendError(res, new HttpError(500, "internal error (logged)"));
        else res.end();
      }
    }
  }

  /** The JSON API; returns the route's name (for the metrics). */
  private async api_(req: IncomingMessage, res: ServerResponse, url: URL): Promise<string> {
    const parts = url.pathname.split("/").filter(Boolean).slice(1).map(decodeURIComponent);
    const method = req.method ?? "GET";
    if (method === "GET" && parts[0] === "auth" && parts.length === 1) {
      sendJson(res, 200, this.auth.signIn());
      return "/api/auth";
    }
    const p = this.auth.principal(req);
    if (p === null) throw new HttpError(401, "sign in first");
    if (method === "GET" && parts[0] === "me" && parts.length === 1) {
      sendJson(res, 200, this.auth.me(p));
      return "/api/me";
    }
    if (method === "GET" && parts[0] === "releases" && parts.length === 1) {
      const q = url.searchParams;
      const limit = q.get("limit");
      sendJson(res, 200, await this.api.list(p, {
        ...(q.get("namespace") ? { namespace: q.get("namespace") as string } : {}),
        ...(q.get("app") ? { app: q.get("app") as string } : {}),
        ...(q.get("phase") ? { phase: q.get("phase") as string } : {}),
        attention: q.get("attention") === "true",
        ...(limit ? { limit: Math.max(1, Math.min(1000, Number(limit) || 200)) } : {}),
      }));
      return "/api/releases";
    }
    if (method === "GET" && parts[0] === "releases" && parts.length === 2) {
      sendJson(res, 200, await this.api.detail(p, parts[1] as string));
      return "/api/releases/:id";
    }
    if (method === "POST" && parts[0] === "releases" && parts[2] === "actions" && parts.length === 4) {
      await this.action(req, res, p, parts[1] as string, parts[3] as string);
      return "/api/releases/:id/actions/:action";
    }
    if (method === "GET" && parts[0] === "apps" && parts.length === 3) {
      sendJson(res, 200, await this.api.app(p, parts[1] as string, parts[2] as string));
      return "/api/apps/:namespace/:app";
    }
    if (method === "GET" && parts[0] === "dead-letters" && parts.length === 1) {
      sendJson(res, 200, this.api.deadLetters(p));
      return "/api/dead-letters";
    }
    if (method === "GET" && parts[0] === "stream" && parts.length === 1) {
      const id = url.searchParams.get("release");
      const release = id === null ? null : await this.api.stateFor(p, id);
      openStream(req, res, p, release, { hub: this.hub, access: this.auth.access, pods: this.pods, metrics: this.metrics, actionsFor: (who, s) => this.api.actionsFor(who, s) });
      return "/api/stream";
    }
    throw new HttpError(404, `no route ${method} ${url.pathname}`);
  }

  /** POST /api/releases/:id/actions/:action — checked here (role, phase, CSRF), whatever the page showed. */
  private async action(req: IncomingMessage, res: ServerResponse, p: Principal, releaseId: string, actionId: string): Promise<void> {
    const action = ACTIONS.find((a) => a.id === actionId);
    if (action === undefined) throw new HttpError(404, `no action ${actionId}: the console knows ${ACTIONS.map((a) => a.id).join(", ")}`);
    this.auth.checkWrite(req, p);
    const state = await this.api.stateFor(p, releaseId);
    const refusal = actionRefusal(action, state, this.auth.access.roleIn(p, state.namespace), atLeast);
    if (refusal !== undefined) {
      this.metrics.actions.inc({ action: action.id, result: refusal.status === 403 ? "forbidden" : "refused" });
      this.log.info({ user: p.user, releaseId, action: action.id, reason: refusal.reason }, "action refused");
      throw new HttpError(refusal.status, refusal.reason);
    }
    const body = await readJson(req);
    const reason = body.reason === undefined || body.reason === "" ? undefined : body.reason;
    if (reason !== undefined && (typeof reason !== "string" || reason.length > MAX_REASON)) throw new HttpError(400, `reason: must be text of at most ${MAX_REASON} characters`);
    if (action.reason === "required" && reason === undefined) throw new HttpError(400, `reason: required for ${action.id}`);
    if (action.reason === "none" && reason !== undefined) throw new HttpError(400, `reason: ${action.id} takes none`);
    const result: ActionResponse = await action.run({ rt: this.rt, state, user: p.user, reason });
    this.metrics.actions.inc({ action: action.id, result: result.accepted ? "accepted" : "refused" });
    this.log.info({ user: p.user, via: p.via, releaseId, action: action.id, accepted: result.accepted, reason: result.reason }, `action ${action.id}`);
    sendJson(res, result.accepted ? 200 : 409, result);
  }
}
