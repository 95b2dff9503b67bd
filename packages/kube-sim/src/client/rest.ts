/**
 * The HTTP client kube-sim's node (kubelet and kube-proxy) talks to an API server with: any
 * server a kubeconfig names (kube-sim's own or a real kube-apiserver), JSON over one kept-alive
 * agent, the kubeconfig's credentials (bearer token, client certificate, exec plugins) through
 * client-node's KubeConfig. Errors carry the server's `Status` (code and reason) so callers can
 * tell a 404 or a 409 from a failure worth logging.
 */
import { Agent as HttpAgent, request as httpRequest, type IncomingMessage, type OutgoingHttpHeaders } from "node:http";
import { Agent as HttpsAgent, request as httpsRequest, type RequestOptions } from "node:https";
import { KubeConfig } from "@kubernetes/client-node";

/** The API server answered with an error `Status`. */
export class ApiStatusError extends Error {
  override readonly name = "ApiStatusError";
  constructor(
    readonly code: number,
    readonly reason: string,
    message: string,
    options?: { cause?: unknown },
  ) {
    super(message, options);
  }
}

/** The API server could not be reached, or its answer could not be read. */
export class ApiUnreachableError extends Error {
  override readonly name = "ApiUnreachableError";
}

export function isStatus(err: unknown, ...codes: number[]): err is ApiStatusError {
  return err instanceof ApiStatusError && codes.includes(err.code);
}

export interface CallOptions {
  readonly query?: Record<string, string | number | boolean | undefined>;
  readonly body?: unknown;
  /** Content-Type of the body; JSON by default (`application/merge-patch+json` for merge patches). */
  readonly contentType?: string;
  /** Milliseconds before the request is abandoned. Default 30,000. */
  readonly timeoutMs?: number;
}

/** A streamed response (a watch): each line, until the server ends it or `abort()` is called. */
export interface Stream {
  readonly done: Promise<void>;
  abort(): void;
}

/** Credentials are re-read this often (exec plugins and OIDC hand out short-lived tokens). */
const AUTH_REFRESH_MS = 60_000;
const USER_AGENT = "kube-sim-node/1.0";

/** Reads a kubeconfig given as a path or as YAML text. */
export function loadKubeConfig(kubeconfig: string): KubeConfig {
  const kc = new KubeConfig();
  if (/\n/.test(kubeconfig.trim()) || /^\s*apiVersion\s*:/.test(kubeconfig)) kc.loadFromString(kubeconfig);
  else kc.loadFromFile(kubeconfig);
  const cluster = kc.getCurrentCluster();
  if (!cluster?.server) throw new Error("kubeconfig: its current context names no cluster with a server");
  return kc;
}

export class ApiClient {
  readonly server: URL;
  readonly #kc: KubeConfig;
  readonly #https: boolean;
  #agent: HttpAgent | undefined;
  #tls: Pick<RequestOptions, "ca" | "cert" | "key" | "rejectUnauthorized" | "servername"> = {};
  #auth: OutgoingHttpHeaders = {};
  #authAt = 0;
  #closed = false;

  constructor(kc: KubeConfig) {
    this.#kc = kc;
    this.server = new URL(kc.getCurrentCluster()?.server ?? "");
    this.#https = this.server.protocol === "https:";
  }

  static fromKubeconfig(kubeconfig: string): ApiClient {
    return new ApiClient(loadKubeConfig(kubeconfig));
  }

  /** Credentials and TLS material from the kubeconfig; the agent is made once, with the TLS options. */
  async #prepare(force = false): Promise<void> {
    if (!force && this.#agent && Date.now() - this.#authAt < AUTH_REFRESH_MS) return;
    const opts: RequestOptions = { headers: {} };
    await this.#kc.applyToHTTPSOptions(opts);
    const headers: OutgoingHttpHeaders = { ...(opts.headers as OutgoingHttpHeaders) };
    if (opts.auth) headers.authorization = `Basic ${Buffer.from(opts.auth).toString("base64")}`;
    this.#auth = headers;
    this.#authAt = Date.now();
    if (this.#agent) return;
    this.#tls = { ca: opts.ca, cert: opts.cert, key: opts.key, rejectUnauthorized: opts.rejectUnauthorized, servername: opts.servername };
    this.#agent = this.#https ? new HttpsAgent({ keepAlive: true, ...stripUndefined(this.#tls) }) : new HttpAgent({ keepAlive: true });
  }

  #url(path: string, query?: CallOptions["query"]): URL {
    const url = new URL(this.server.pathname.replace(/\/$/, "") + path, this.server);
    for (const [k, v] of Object.entries(query ?? {})) if (v !== undefined) url.searchParams.set(k, String(v));
    return url;
  }

  #send(method: string, url: URL, body: string | undefined, contentType: string, timeoutMs: number): Promise<IncomingMessage> {
    if (this.#closed) return Promise.reject(new ApiUnreachableError(`${method} ${url.pathname}: the client is closed`));
    const headers: OutgoingHttpHeaders = { ...this.#auth, accept: "application/json", "user-agent": USER_AGENT };
    if (body !== undefined) {
      headers["content-type"] = contentType;
      headers["content-length"] = Buffer.byteLength(body);
    }
    const send = this.#https ? httpsRequest : httpRequest;
    return new Promise((resolve, reject) => {
      const req = send(url, { method, headers, agent: this.#agent, ...(this.#https ? stripUndefined(this.#tls) : {}) }, resolve);
      req.setNoDelay(true);
      if (timeoutMs > 0) req.setTimeout(timeoutMs, () => req.destroy(new ApiUnreachableError(`${method} ${url.pathname}: no answer within ${timeoutMs} ms`)));
      req.on("error", (err) => reject(err instanceof ApiUnreachableError ? err : new ApiUnreachableError(`${method} ${url.pathname}: ${err.message}`, { cause: err })));
      req.end(body);
    });
  }

  /** One call; resolves with the parsed JSON answer, rejects with ApiStatusError or ApiUnreachableError. */
  async request<T = unknown>(method: string, path: string, opts: CallOptions = {}): Promise<T> {
    await this.#prepare();
    const url = this.#url(path, opts.query);
    const body = opts.body === undefined ? undefined : JSON.stringify(opts.body);
    let res = await this.#send(method, url, body, opts.contentType ?? "application/json", opts.timeoutMs ?? 30_000);
    if (res.statusCode === 401) {
      res.resume();
      await this.#prepare(true);
      res = await this.#send(method, url, body, opts.contentType ?? "application/json", opts.timeoutMs ?? 30_000);
    }
    const text = await readAll(res, `${method} ${url.pathname}`);
    const code = res.statusCode ?? 0;
    if (code < 200 || code >= 300) throw statusError(method, url.pathname, code, text);
    return (text ? JSON.parse(text) : undefined) as T;
  }

  get<T = unknown>(path: string, query?: CallOptions["query"]): Promise<T> {
    return this.request<T>("GET", path, { ...(query ? { query } : {}) });
  }

  /** A GET whose answer is a stream of JSON lines (a watch); `onLine` gets each parsed line. */
  async stream(path: string, query: CallOptions["query"], onLine: (value: unknown) => void): Promise<Stream> {
    await this.#prepare();
    const url = this.#url(path, query);
    const res = await this.#send("GET", url, undefined, "", 0);
    const code = res.statusCode ?? 0;
    if (code < 200 || code >= 300) throw statusError("GET", url.pathname, code, await readAll(res, `GET ${url.pathname}`));
    let buffered = "";
    const done = new Promise<void>((resolve, reject) => {
      res.setEncoding("utf8");
      res.on("data", (chunk: string) => {
        buffered += chunk;
        let nl: number;
        while ((nl = buffered.indexOf("\n")) >= 0) {
          const line = buffered.slice(0, nl).trim();
          buffered = buffered.slice(nl + 1);
          if (line) onLine(JSON.parse(line));
        }
      });
      res.on("end", () => resolve());
      res.on("close", () => resolve());
      res.on("error", (err) => reject(new ApiUnreachableError(`watch ${url.pathname}: ${err.message}`, { cause: err })));
    });
    return { done, abort: () => res.destroy() };
  }

  /** Closes the kept-alive connections; later calls fail. */
  close(): void {
    this.#closed = true;
    this.#agent?.destroy();
  }
}

function readAll(res: IncomingMessage, what: string): Promise<string> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    res.on("data", (c: Buffer) => chunks.push(c));
    res.on("end", () => resolve(Buffer.concat(chunks).toString("utf8")));
    res.on("error", (err) => reject(new ApiUnreachableError(`${what}: ${err.message}`, { cause: err })));
  });
}

function statusError(method: string, path: string, code: number, text: string): ApiStatusError {
  let reason = "";
  let message = text.trim().slice(0, 500);
  try {
    const status = JSON.parse(text) as { reason?: string; message?: string };
    reason = status.reason ?? "";
    message = status.message ?? message;
  } catch {
    // not a Status: keep the text
  }
  return new ApiStatusError(code, reason, `${method} ${path}: ${code}${reason ? ` ${reason}` : ""}: ${message}`);
}

function stripUndefined<T extends object>(o: T): T {
  return Object.fromEntries(Object.entries(o).filter(([, v]) => v !== undefined)) as T;
}
