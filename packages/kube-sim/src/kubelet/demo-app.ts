/**
 * The demo app a pod of `baton.dev/demo-app:<tag>` runs: a real node:http server on the pod's IP.
 * `GET /version` → the version as text; `GET /healthz` → 200 once started (503 before, and always
 * with DEMO_NEVER_READY); `GET /metrics` → its Prometheus metrics (demo-metrics.ts); any other path
 * → `{version, path, pod}` as JSON. DEMO_ERROR_RATE answers that share of requests (not /healthz,
 * not /metrics) with 500, evenly spaced (request n fails when floor(n·rate) grows).
 * DEMO_LATENCY_MS delays every answer but /healthz's and /metrics'. The app degrades — its error
 * rate becomes DEMO_DEGRADED_ERROR_RATE (default 1) — once it has served
 * DEMO_DEGRADE_AFTER_REQUESTS requests, or DEMO_DEGRADE_AFTER_MS after it started (a release that
 * turns bad only under production traffic, for post-promotion analysis).
 *
 * SIGTERM (terminate): unless DEMO_IGNORE_SIGTERM, the app stops accepting new connections and
 * answers every request still in flight, or still arriving on an open keep-alive connection, with
 * `Connection: close`, so each client leaves at a response boundary (closing an idle keep-alive
 * connection at once would race with a request the client is sending). It exits as soon as no
 * connection is left, or when DEMO_DRAIN_MS has passed, whichever comes first (DEMO_DRAIN_MS 0:
 * at once). SIGKILL (kill): every socket is destroyed at once.
 */
import { createServer, type IncomingMessage, type Server, type ServerResponse } from "node:http";
import { Server as NetServer, type Socket } from "node:net";
import type { DemoConfig } from "./demo-config.js";
import { DemoMetrics } from "./demo-metrics.js";

export const EXIT_KILLED = 137;

export interface DemoAppOptions {
  readonly config: DemoConfig;
  /** The pod's name, in the JSON answers. */
  readonly pod: string;
  /** Called once, when the app has exited (0 after a clean drain, 137 when killed). */
  readonly onExit: (code: number) => void;
}

export class DemoApp {
  readonly #opts: DemoAppOptions;
  readonly #server: Server;
  readonly #sockets = new Set<Socket>();
  readonly #timers = new Set<NodeJS.Timeout>();
  #listenedAt = 0;
  #served = 0;
  #degradedAt = 0;
  readonly #metrics: DemoMetrics;
  #terminating = false;
  #exitCode: number | undefined;

  constructor(opts: DemoAppOptions) {
    this.#opts = opts;
    this.#metrics = new DemoMetrics(opts.config.version);
    this.#server = createServer((req, res) => this.#handle(req, res));
    this.#server.on("connection", (socket: Socket) => {
      this.#sockets.add(socket);
      socket.on("close", () => {
        this.#sockets.delete(socket);
        this.#exitWhenDrained();
      });
    });
  }

  /** Binds the server; rejects with the bind error (e.g. EADDRINUSE). */
  listen(host: string, port: number): Promise<void> {
    return new Promise((resolve, reject) => {
      const onError = (err: Error) => reject(err);
      this.#server.once("error", onError);
      this.#server.listen(port, host, () => {
        this.#server.off("error", onError);
        this.#server.on("error", () => undefined);
        this.#listenedAt = Date.now();
        resolve();
      });
    });
  }

  get exited(): boolean {
    return this.#exitCode !== undefined;
  }

  get exitCode(): number | undefined {
    return this.#exitCode;
  }

  #started(): boolean {
    return this.#listenedAt > 0 && Date.now() - this.#listenedAt >= this.#opts.config.startDelayMs;
  }

  #handle(req: IncomingMessage, res: ServerResponse): void {
    const path = (req.url ?? "/").split("?")[0] ?? "/";
    if (path === "/healthz") return this.#healthz(res);
    if (path === "/metrics") return this.#send(res, 200, "text/plain; version=0.0.4", this.#metrics.text());
    const arrived = performance.now();
    res.once("finish", () => this.#metrics.observe(res.statusCode, (performance.now() - arrived) / 1000));
    const latency = this.#opts.config.latencyMs;
    if (latency <= 0) return this.#answer(path, res);
    this.#after(latency, () => this.#answer(path, res));
  }

  #healthz(res: ServerResponse): void {
    const ready = this.#started() && !this.#opts.config.neverReady;
    this.#send(res, ready ? 200 : 503, "text/plain", ready ? "ok\n" : "not ready\n");
  }

  #answer(path: string, res: ServerResponse): void {
    const { version } = this.#opts.config;
    const pod = this.#opts.pod;
    if (!this.#started()) return this.#send(res, 503, "application/json", JSON.stringify({ error: "starting", version, pod }));
    const n = ++this.#served;
    const { rate, knob } = this.#errorRate(n);
    if (Math.floor(n * rate) > Math.floor((n - 1) * rate)) {
      return this.#send(res, 500, "application/json", JSON.stringify({ error: `injected failure (${knob})`, version, pod }));
    }
    if (path === "/version") return this.#send(res, 200, "text/plain", version);
    this.#send(res, 200, "application/json", JSON.stringify({ version, path, pod }));
  }

  /** The error rate for request n: DEMO_ERROR_RATE, or DEMO_DEGRADED_ERROR_RATE once degraded. */
  #errorRate(n: number): { rate: number; knob: string } {
    const c = this.#opts.config;
    if (this.#degradedAt === 0) {
      const byRequests = c.degradeAfterRequests > 0 && n > c.degradeAfterRequests;
      const byTime = c.degradeAfterMs > 0 && Date.now() - this.#listenedAt >= c.degradeAfterMs;
      if (byRequests || byTime) this.#degradedAt = n;
    }
    return this.#degradedAt > 0 ? { rate: c.degradedErrorRate, knob: "DEMO_DEGRADE_AFTER_*" } : { rate: c.errorRate, knob: "DEMO_ERROR_RATE" };
  }

  #after(ms: number, fn: () => void): void {
    const timer = setTimeout(() => {
      this.#timers.delete(timer);
      fn();
    }, ms);
    this.#timers.add(timer);
  }

  /** SIGTERM. Safe to repeat. */
  terminate(): void {
    if (this.exited || this.#terminating || this.#opts.config.ignoreSigterm) return;
    this.#terminating = true;
    // net.Server's close stops accepting; http.Server's would also cut idle keep-alive connections.
    NetServer.prototype.close.call(this.#server);
    if (this.#opts.config.drainMs <= 0) return this.#exit(0);
    this.#after(this.#opts.config.drainMs, () => this.#exit(0));
    this.#exitWhenDrained();
  }

  /** SIGKILL. Safe to repeat. */
  kill(): void {
    this.#exit(EXIT_KILLED);
  }

  #exitWhenDrained(): void {
    if (this.#terminating && this.#sockets.size === 0) this.#exit(0);
  }

  #exit(code: number): void {
    if (this.exited) return;
    this.#exitCode = code;
    for (const t of this.#timers) clearTimeout(t);
    this.#timers.clear();
    this.#server.close();
    for (const socket of this.#sockets) socket.destroy();
    this.#sockets.clear();
    this.#opts.onExit(code);
  }

  /** Answers; once terminating, with `Connection: close` so the client leaves at this boundary. */
  #send(res: ServerResponse, status: number, contentType: string, body: string): void {
    if (res.writableEnded || res.destroyed) return;
    const headers: Record<string, string | number> = { "Content-Type": contentType, "Content-Length": Buffer.byteLength(body) };
    if (this.#terminating) headers.Connection = "close";
    res.writeHead(status, headers);
    res.end(body);
  }
}
