import { mkdir } from "node:fs/promises";
import { homedir } from "node:os";
import { dirname, join, resolve } from "node:path";
import type { KubeSim } from "@baton/kube-sim";
import { createLogger, loadConfig, runMain, startServices, type Config } from "@baton/runtime";
import { EXTRAS, stagesNamed, STAGES } from "../services.js";
import { consoleConfigured, consoleEnv, startConsoleBeside } from "./console.js";

// serve, dev and sim: running Baton. `serve` runs chosen stages in this process (one per
// container in production); `dev` runs all five, optionally with kube-sim as the cluster.

export async function serveCommand(names: string[]): Promise<void> {
  const chosen = names.length > 0 ? names : Object.keys(STAGES);
  // Timers are fired by the stages' pumps; the console and the notifier alone run none.
  await runMain(stagesNamed(chosen), undefined, { timerPump: chosen.some((n) => !(n in EXTRAS)) });
}

export function defaultKubeconfigPath(): string {
  return join(process.env.BATON_STATE_DIR ?? join(homedir(), ".baton"), "kubeconfig");
}

export async function startSim(opts: { port?: string; kubeconfig?: string }): Promise<{ sim: KubeSim; kubeconfig: string }> {
  const { startKubeSim } = await import("@baton/kube-sim"); // only `sim`, `dev --sim` and `demo` need it
  const sim = await startKubeSim({ port: Number(opts.port ?? 0) });
  const kubeconfig = resolve(opts.kubeconfig ?? defaultKubeconfigPath());
  await mkdir(dirname(kubeconfig), { recursive: true });
  await sim.writeKubeconfig(kubeconfig);
  return { sim, kubeconfig };
}

export async function simCommand(opts: { port?: string; kubeconfig?: string }): Promise<void> {
  const { sim, kubeconfig } = await startSim(opts);
  process.stdout.write(`kube-sim serving at ${sim.url}\nkubeconfig written to ${kubeconfig}\n  export KUBECONFIG=${kubeconfig}\n`);
  const stop = () => void sim.close().then(() => process.exit(0));
  process.once("SIGINT", stop);
  process.once("SIGTERM", stop);
}

export async function devCommand(opts: { sim?: boolean; kubeconfig?: string; port?: string; console?: boolean; consolePort?: string; insecureNoAuth?: boolean }): Promise<void> {
  let config: Config = loadConfig();
  let sim: KubeSim | undefined;
  if (opts.sim) {
    const started = await startSim({ kubeconfig: opts.kubeconfig, port: opts.port });
    sim = started.sim;
    // The services reach Services through the address kube-sim publishes on each one.
    // kube-sim's pods listen on 127.1.x.y:<containerPort>; a health server on 0.0.0.0:8080 would
    // take port 8080 on every loopback address, so with --sim it listens on 127.0.0.1 unless told.
    config = loadConfig({
      BATON_HTTP_HOST: "127.0.0.1",
      ...process.env,
      KUBECONFIG: started.kubeconfig,
      BATON_SERVICE_ADDRESS: "load-balancer",
    });
    process.stdout.write(`kube-sim serving at ${sim.url}; kubeconfig ${started.kubeconfig}\n`);
  } else if (opts.kubeconfig) {
    config = loadConfig({ ...process.env, KUBECONFIG: opts.kubeconfig });
  }
  const log = createLogger({ service: "baton-dev", level: config.BATON_LOG_LEVEL, pretty: config.BATON_LOG_PRETTY });
  const handle = await startServices(config, Object.values(STAGES), { name: "dev", log });
  process.stdout.write(`baton dev: all five stages running (health and metrics on :${handle.httpPort}); Ctrl-C stops\n`);
  const flags = { port: opts.consolePort, insecureNoAuth: opts.insecureNoAuth };
  let web: Awaited<ReturnType<typeof startConsoleBeside>> | undefined;
  if (opts.console === false) {
    // asked not to
  } else if (consoleConfigured(consoleEnv(flags))) {
    web = await startConsoleBeside(config, flags, log);
    process.stdout.write(`baton dev: console at ${web.url}${opts.insecureNoAuth && !process.env.BATON_CONSOLE_AUTH_FILE ? " (no sign-in: local development only)" : ""}\n`);
  } else {
    process.stdout.write("baton dev: console not started: no sign-in configured (BATON_CONSOLE_AUTH_FILE), or give --insecure-no-auth for local development\n");
  }
  const stop = () =>
    void (async () => {
      await web?.handle.stop();
      await handle.stop();
      await sim?.close();
      process.exit(0);
    })();
  process.once("SIGINT", stop);
  process.once("SIGTERM", stop);
}
