/**
 * The demo app a pod of `baton.dev/demo-app:<tag>` runs: a real node:http server on the pod's IP.
 * `GET /version` → the version as text; `GET /healthz` → 200 once started (503 before, and always
 * with DEMO_NEVER_READY); any other path → `{version, path, pod}` as JSON. DEMO_ERROR_RATE answers
 * that share of requests (not /healthz) with 500, evenly spaced (request n fails when
 * floor(n·rate) grows). DEMO_LATENCY_MS delays every answer but /healthz's.
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
  #terminating = false;
  #exitCode: number | undefined;

  constructor(opts: DemoAppOptions) {
    this.#opts = opts;
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
    const latency = this.#opts.config.latencyMs;
    if (latency <= 0) return this.#answer(path, res);
    this.#after(latency, () => this.#answer(path, res));
  }

  #healthz(res: ServerResponse): void {
    const ready = this.#started() && !this.#opts.config.neverReady;
    this.#send(res, ready ? 200 : 503, "text/plain", ready ? "ok\n" : "not ready\n");
  }

  #answer(path: string, res: ServerResponse): void {
    const { version, errorRate } = this.#opts.config;
    const pod = this.#opts.pod;
    if (!this.#started()) return this.#send(res, 503, "application/json", JSON.stringify({ error: "starting", version, pod }));
    const n = ++this.#served;
    if (Math.floor(n * errorRate) > Math.floor((n - 1) * errorRate)) {
      return this.#send(res, 500, "application/json", JSON.stringify({ error: "injected failure (DEMO_ERROR_RATE)", version, pod }));
    }
    if (path === "/version") return this.#send(res, 200, "text/plain", version);
    this.#send(res, 200, "application/json", JSON.stringify({ version, path, pod }));
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
