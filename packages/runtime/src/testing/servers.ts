import { spawn, type ChildProcess } from "node:child_process";
import { mkdtemp } from "node:fs/promises";
import { createServer, connect } from "node:net";
import { tmpdir } from "node:os";
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

async function managed(bin: string, args: (port: number, dir: string) => string[], scheme: string, label: string): Promise<ServerProcess> {
  const port = await freePort();
  const dir = await mkdtemp(join(tmpdir(), `baton-${label}-`));
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
