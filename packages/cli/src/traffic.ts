import { Agent, request } from "node:http";

// Steady production traffic for the demo, the end-to-end tests and the benchmarks: N clients on
// keep-alive connections, each sending one request after another (or at a fixed total rate),
// counting answers by status and by the version that served them.

export interface TrafficStats {
  readonly sent: number;
  readonly ok: number;
  readonly failed: number;
  /** Failures by cause: "status 503", "ECONNRESET" … */
  readonly failures: Record<string, number>;
  /** Failed answers by the version that gave them (a 5xx whose JSON body names its `version`, as the demo app's do). */
  readonly failedBy: Record<string, number>;
  /** Answers by the version that served them (the body of GET /version). */
  readonly versions: Record<string, number>;
  /** When each version first answered (ms since epoch). */
  readonly firstSeen: Record<string, number>;
  readonly latenciesMs: number[];
}

export interface Traffic {
  stats(): TrafficStats;
  stop(): Promise<TrafficStats>;
}

export interface TrafficOptions {
  readonly url: string;
  readonly path?: string;
  readonly clients?: number;
  /** Total requests per second across clients; unset = as fast as answers come. */
  readonly ratePerSecond?: number;
  readonly timeoutMs?: number;
  /**
   * Keep connections alive (default true). A kept-alive connection stays on the pod it reached
   * until that pod closes it (kube-proxy's connection tracking); without, every request opens a
   * new connection and a selector switch moves the very next one.
   */
  readonly keepAlive?: boolean;
}

export function startTraffic(opts: TrafficOptions): Traffic {
  const clients = opts.clients ?? 8;
  const agent = new Agent({ keepAlive: opts.keepAlive ?? true, maxSockets: clients });
  const target = new URL(opts.path ?? "/version", opts.url);
  const s = { sent: 0, ok: 0, failed: 0, failures: {} as Record<string, number>, failedBy: {} as Record<string, number>, versions: {} as Record<string, number>, firstSeen: {} as Record<string, number>, latenciesMs: [] as number[] };
  let running = true;
  const gapMs = opts.ratePerSecond ? (1000 * clients) / opts.ratePerSecond : 0;
  const once = () =>
    new Promise<void>((resolve) => {
      const started = performance.now();
      s.sent++;
      const fail = (why: string) => {
        s.failed++;
        s.failures[why] = (s.failures[why] ?? 0) + 1;
        resolve();
      };
      const req = request(target, { agent, timeout: opts.timeoutMs ?? 5000 }, (res) => {
        let body = "";
        res.setEncoding("utf8");
        res.on("data", (c: string) => (body += c));
        res.on("error", (e) => fail((e as NodeJS.ErrnoException).code ?? e.message));
        res.on("end", () => {
          s.latenciesMs.push(performance.now() - started);
          if ((res.statusCode ?? 0) >= 500 || res.statusCode === undefined) {
            const by = versionIn(body);
            if (by !== undefined) s.failedBy[by] = (s.failedBy[by] ?? 0) + 1;
            return fail(`status ${res.statusCode}`);
          }
          s.ok++;
          const v = body.trim().slice(0, 64);
          s.versions[v] = (s.versions[v] ?? 0) + 1;
          s.firstSeen[v] ??= Date.now();
          resolve();
        });
      });
      req.on("timeout", () => req.destroy(new Error("timeout")));
      req.on("error", (e) => fail((e as NodeJS.ErrnoException).code ?? e.message));
      req.end();
    });
  const loop = async () => {
    while (running) {
      const t = performance.now();
      await once();
      const wait = gapMs - (performance.now() - t);
      if (wait > 0) await new Promise((r) => setTimeout(r, wait));
    }
  };
  const loops = Array.from({ length: clients }, loop);
  const snapshot = (): TrafficStats => ({ ...s, failures: { ...s.failures }, failedBy: { ...s.failedBy }, versions: { ...s.versions }, firstSeen: { ...s.firstSeen }, latenciesMs: s.latenciesMs });
  return {
    stats: snapshot,
    async stop() {
      running = false;
      await Promise.all(loops);
      agent.destroy();
      return snapshot();
    },
  };
}

/** The `version` a JSON error body names, if any. */
function versionIn(body: string): string | undefined {
  try {
    const v = (JSON.parse(body) as { version?: unknown }).version;
    return typeof v === "string" ? v.slice(0, 64) : undefined;
  } catch {
    return undefined;
  }
}
