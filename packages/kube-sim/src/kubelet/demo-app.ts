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
 *
 * It writes what a person reading `kubectl logs` needs: its start and the behaviour its env asks
 * for, the moment it is ready, requests (each of the first few in a second, then one summary line
 * per second of traffic; /healthz probes are not logged), SIGTERM, the drain and its exit.
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
  /** The app's output (its container's log), one line per call. */
  readonly log: (line: string) => void;
}

/** Requests logged one by one in each second; the rest of that second goes into one summary line. */
export const REQUESTS_LOGGED_PER_SECOND = 5;

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
  /** Requests of the current second: logged one by one, then counted by status. */
  #second = { logged: 0, unlogged: new Map<number, number>(), timer: undefined as NodeJS.Timeout | undefined };

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
        this.#logStart(host, port);
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

  #logStart(host: string, port: number): void {
    const c = this.#opts.config;
    const log = this.#opts.log;
    log(`demo-app ${c.version} listening on ${host}:${port} (pod ${this.#opts.pod})`);
    if (c.errorRate > 0) log(`DEMO_ERROR_RATE=${c.errorRate}: ${Math.round(c.errorRate * 1000) / 10}% of requests will be answered 500`);
    if (c.latencyMs > 0) log(`DEMO_LATENCY_MS=${c.latencyMs}: every answer but /healthz's waits ${c.latencyMs} ms`);
    if (c.ignoreSigterm) log("DEMO_IGNORE_SIGTERM=true: SIGTERM will be ignored, only SIGKILL ends this app");
    if (c.neverReady) return log("DEMO_NEVER_READY=true: /healthz answers 503, this app never becomes ready");
    if (c.startDelayMs <= 0) return log("ready: /healthz answers 200");
    log(`starting: ready in ${c.startDelayMs} ms (DEMO_START_DELAY_MS); /healthz answers 503 until then`);
    this.#after(c.startDelayMs, () => log("ready: /healthz answers 200"));
  }

  /** Logs a request while the second's budget lasts, counts it otherwise. */
  #logRequest(method: string, path: string, status: number, ms: number): void {
    const s = this.#second;
    if (s.logged < REQUESTS_LOGGED_PER_SECOND) {
      s.logged++;
      this.#opts.log(`${method} ${path} ${status} ${ms}ms`);
    } else s.unlogged.set(status, (s.unlogged.get(status) ?? 0) + 1);
    s.timer ??= setTimeout(() => this.#endSecond(), 1000);
  }

  #endSecond(): void {
    const s = this.#second;
    const total = [...s.unlogged.values()].reduce((a, b) => a + b, 0);
    if (total > 0) {
      const byStatus = [...s.unlogged].sort(([a], [b]) => a - b).map(([code, n]) => `${n} × ${code}`);
      this.#opts.log(`... and ${total} more request(s) in that second: ${byStatus.join(", ")}`);
    }
    this.#second = { logged: 0, unlogged: new Map(), timer: undefined };
  }

  #started(): boolean {
    return this.#listenedAt > 0 && Date.now() - this.#listenedAt >= this.#opts.config.startDelayMs;
  }

  #handle(req: IncomingMessage, res: ServerResponse): void {
    const path = (req.url ?? "/").split("?")[0] ?? "/";
    if (path === "/healthz") return this.#healthz(res);
    if (path === "/metrics") return this.#send(res, 200, "text/plain; version=0.0.4", this.#metrics.text());
    const began = Date.now();
    const arrived = performance.now();
    res.once("finish", () => {
      this.#metrics.observe(res.statusCode, (performance.now() - arrived) / 1000);
      this.#logRequest(req.method ?? "GET", path, res.statusCode, Date.now() - began);
    });
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
    if (this.exited || this.#terminating) return;
    const { drainMs, ignoreSigterm } = this.#opts.config;
    if (ignoreSigterm) return this.#opts.log("received SIGTERM: ignored (DEMO_IGNORE_SIGTERM=true)");
    this.#terminating = true;
    // net.Server's close stops accepting; http.Server's would also cut idle keep-alive connections.
    NetServer.prototype.close.call(this.#server);
    if (drainMs <= 0) {
      this.#opts.log("received SIGTERM: exiting now (DEMO_DRAIN_MS=0)");
      return this.#exit(0);
    }
    this.#opts.log(`received SIGTERM: no new connections; draining ${this.#sockets.size} open connection(s) for up to ${drainMs} ms (DEMO_DRAIN_MS)`);
    this.#after(drainMs, () => {
      this.#opts.log(`drain time is over with ${this.#sockets.size} connection(s) still open: closing them`);
      this.#exit(0);
    });
    this.#exitWhenDrained();
  }

  /** SIGKILL. Safe to repeat. */
  kill(): void {
    this.#exit(EXIT_KILLED);
  }

  #exitWhenDrained(): void {
    if (!this.#terminating || this.#sockets.size > 0 || this.exited) return;
    this.#opts.log("drained: no connection left");
    this.#exit(0);
  }

  #exit(code: number): void {
    if (this.exited) return;
    if (this.#second.timer) {
      clearTimeout(this.#second.timer);
      this.#endSecond();
    }
    // A SIGKILLed process writes nothing more.
    if (code === 0) this.#opts.log(`exiting with code 0 after serving ${this.#served} request(s)`);
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
