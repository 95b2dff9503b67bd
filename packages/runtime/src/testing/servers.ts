import { spawn, type ChildProcess } from "node:child_process";
import { accessSync, constants, existsSync } from "node:fs";
import { mkdtemp, writeFile } from "node:fs/promises";
import { createServer, connect } from "node:net";
import { homedir, tmpdir } from "node:os";
import { join } from "node:path";
import { setTimeout as sleep } from "node:timers/promises";

export interface ServerProcess {
  readonly url: string;
  readonly port: number;
  readonly dir: string;
  readonly pid: number;
  /** Kills it (SIGKILL by default) and waits for the exit. */
  kill(signal?: NodeJS.Signals): Promise<void>;
  /** Starts it again on the same port and data folder. */
  restart(): Promise<void>;
}

export async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = createServer();
    srv.once("error", reject);
    srv.listen(0, "127.0.0.1", () => {
      const address = srv.address();
      const port = typeof address === "object" && address !== null ? address.port : 0;
      srv.close(() => resolve(port));
    });
  });
}

async function waitListening(port: number, timeoutMs = 10_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    const ok = await new Promise<boolean>((resolve) => {
      const s = connect(port, "127.0.0.1");
      s.once("connect", () => (s.destroy(), resolve(true)));
      s.once("error", () => resolve(false));
    });
    if (ok) return;
    await sleep(25);
  }
  throw new Error(`server on port ${port} did not start listening`);
}

async function managed(
  bin: string,
  args: (port: number, dir: string) => string[],
  scheme: string,
  label: string,
  prepare?: (port: number, dir: string) => Promise<void>,
): Promise<ServerProcess> {
  const port = await freePort();
  const dir = await mkdtemp(join(tmpdir(), `baton-${label}-`));
  await prepare?.(port, dir);
  let child: ChildProcess;
  const start = async () => {
    child = spawn(bin, args(port, dir), { stdio: "ignore" });
    await waitListening(port);
  };
  await start();
  return {
    url: `${scheme}://127.0.0.1:${port}`,
    port,
    dir,
    get pid() {
      return child.pid ?? -1;
    },
    async kill(signal: NodeJS.Signals = "SIGKILL") {
      if (child.exitCode !== null) return;
      const exited = new Promise((r) => child.once("exit", r));
      child.kill(signal);
      await exited;
    },
    restart: start,
  };
}

/** A nats-server with JetStream on a free port and its own store folder. */
export function startNatsServer(): Promise<ServerProcess> {
  const bin = process.env.NATS_SERVER_BIN ?? "nats-server";
  return managed(bin, (port, dir) => ["-a", "127.0.0.1", "-p", String(port), "-js", "-sd", dir], "nats", "nats");
}

/** A redis-server on a free port; with `appendonly`, state survives a kill -9 and restart. */
export function startRedisServer(opts: { appendonly?: boolean } = {}): Promise<ServerProcess> {
  const bin = process.env.REDIS_SERVER_BIN ?? "redis-server";
  return managed(
    bin,
    (port, dir) => [
      "--port", String(port), "--bind", "127.0.0.1", "--dir", dir, "--save", "",
      "--appendonly", opts.appendonly ? "yes" : "no", "--appendfsync", "always",
    ],
    "redis",
    "redis",
  );
}

/** Where the Prometheus binary is: BATON_TEST_PROMETHEUS, on the PATH, or where scripts/lib.sh ensure_prometheus puts it. */
export function prometheusBinary(): string | undefined {
  if (process.env.BATON_TEST_PROMETHEUS) return process.env.BATON_TEST_PROMETHEUS;
  const fetched = join(process.env.BATON_STATE_DIR ?? join(homedir(), ".baton"), "tools/bin/prometheus");
  if (existsSync(fetched)) return fetched;
  const onPath = (process.env.PATH ?? "").split(":").map((d) => join(d, "prometheus")).find((f) => existsSync(f));
  return onPath;
}

/**
 * A Prometheus server (Debian's package) on a free port, its own TSDB folder, scraping every
 * `scrapeIntervalMs` the targets listed in `targetsFile` (file_sd: a JSON list of
 * `{targets: ["ip:port"], labels: {…}}`, re-read when it changes).
 */
export async function startPrometheusServer(opts: { scrapeIntervalMs?: number } = {}): Promise<ServerProcess & { readonly targetsFile: string }> {
  const bin = prometheusBinary();
  if (bin === undefined) throw new Error("no prometheus binary: run scripts/test (it fetches Debian's prometheus package), or set BATON_TEST_PROMETHEUS");
  const every = `${opts.scrapeIntervalMs ?? 1000}ms`;
  let targetsFile = "";
  const server = await managed(
    bin,
    (port, dir) => [
      `--config.file=${join(dir, "prometheus.yml")}`,
      `--storage.tsdb.path=${join(dir, "data")}`,
      `--web.listen-address=127.0.0.1:${port}`,
      "--log.level=warn",
    ],
    "http",
    "prometheus",
    async (_port, dir) => {
      targetsFile = join(dir, "targets.json");
      await writeFile(targetsFile, "[]");
      const config = [
        `global: { scrape_interval: ${every}, scrape_timeout: ${every}, evaluation_interval: ${every} }`,
        "scrape_configs:",
        "  - job_name: pods",
        `    file_sd_configs: [{ files: ["${targetsFile}"], refresh_interval: 1s }]`,
      ].join("\n");
      await writeFile(join(dir, "prometheus.yml"), `${config}\n`);
    },
  );
  return Object.assign(server, { targetsFile });
}

/** Whether an executable named `cmd` is on the PATH (a test that needs a tool skips, saying so, without it). */
export function onPath(cmd: string): boolean {
  return (process.env.PATH ?? "").split(":").some((dir) => {
    try {
      accessSync(join(dir, cmd), constants.X_OK);
      return true;
    } catch {
      return false;
    }
  });
}
