import { mkdir, readFile } from "node:fs/promises";
import { homedir } from "node:os";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { ApiextensionsV1Api, KubeConfig, type V1CustomResourceDefinition } from "@kubernetes/client-node";
import { parse as parseYaml } from "yaml";
import type { KubeSim } from "@baton/kube-sim";
import { createLogger, loadConfig, runMain, startServices, type Config } from "@baton/runtime";
import { CliError } from "../errors.js";
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

/** deploy/crd/release.yaml, from this file (src/commands or dist/commands of packages/cli). */
const RELEASE_CRD = fileURLToPath(new URL("../../../../deploy/crd/release.yaml", import.meta.url));

/** kube-sim with the Release CRD installed (a fresh cluster each time), its kubeconfig written. */
export async function startSim(opts: { port?: string; kubeconfig?: string }): Promise<{ sim: KubeSim; kubeconfig: string }> {
  const { startKubeSim } = await import("@baton/kube-sim"); // only `sim`, `dev --sim` and `demo` need it
  const sim = await startKubeSim({ port: Number(opts.port ?? 0) });
  const kubeconfig = resolve(opts.kubeconfig ?? defaultKubeconfigPath());
  await mkdir(dirname(kubeconfig), { recursive: true });
  await sim.writeKubeconfig(kubeconfig);
  await installReleaseCrd(sim);
  return { sim, kubeconfig };
}

/**
 * Applies deploy/crd/release.yaml to the simulator, so `kubectl apply` of a Release works there
 * as on a cluster where Baton is installed. Without the file (the CLI run from its container
 * image, which ships no deploy/), it says so and goes on: the intake works all the same.
 */
async function installReleaseCrd(sim: KubeSim): Promise<void> {
  let crd: V1CustomResourceDefinition;
  try {
    crd = parseYaml(await readFile(RELEASE_CRD, "utf8")) as V1CustomResourceDefinition;
  } catch (err) {
    process.stderr.write(`baton: Release CRD not installed in kube-sim (cannot read ${RELEASE_CRD}: ${(err as Error).message})\n`);
    return;
  }
  const kc = new KubeConfig();
  kc.loadFromString(sim.kubeconfig());
  await kc.makeApiClient(ApiextensionsV1Api).createCustomResourceDefinition({ body: crd });
}

export interface SimOptions {
  port?: string;
  kubeconfig?: string;
  node?: boolean;
  nodeName?: string;
  podCidr?: string;
  serviceProxy?: string;
}

export async function simCommand(opts: SimOptions): Promise<void> {
  if (opts.node) return simNodeCommand(opts);
  for (const [flag, given] of [["--node-name", opts.nodeName], ["--pod-cidr", opts.podCidr], ["--service-proxy", opts.serviceProxy]] as const) {
    if (given !== undefined) throw new CliError(`${flag} is an option of \`baton sim --node\`; kube-sim's own node is always kube-sim, on loopback addresses`);
  }
  const { sim, kubeconfig } = await startSim(opts);
  process.stdout.write(`kube-sim serving at ${sim.url}\nkubeconfig written to ${kubeconfig}\n  export KUBECONFIG=${kubeconfig}\n`);
  const stop = () => void sim.close().then(() => process.exit(0));
  process.once("SIGINT", stop);
  process.once("SIGTERM", stop);
}

/**
 * `baton sim --node`: a kube-sim node (kubelet + kube-proxy) joins the cluster the kubeconfig
 * names — kube-sim's own or a real API server — and runs its pods until SIGINT or SIGTERM: a
 * graceful node shutdown (the node reported NotReady, every pod SIGTERMed with its grace period,
 * at most 10 s, then marked Failed so its Deployment replaces it), every Service port closed, exit 0. By default it
 * behaves as a node of a real cluster: pod IPs from 10.244.0.0/16 and Services on their ClusterIPs
 * (both ranges made local here: scripts/k8s up does it); `--pod-cidr 127.1.0.0/16 --service-proxy
 * loopback` needs no setup (kube-sim accepts loopback pod addresses; a real API server does not).
 */
async function simNodeCommand(opts: SimOptions): Promise<void> {
  if (!opts.kubeconfig) throw new CliError("baton sim --node needs --kubeconfig PATH: the kubeconfig of the cluster to join");
  if (opts.port) throw new CliError("--port is kube-sim's API port: a node (--node) serves no API");
  const { startNode, NodeStartError } = await import("@baton/kube-sim");
  const kubeconfig = resolve(opts.kubeconfig);
  const log = (line: string) => process.stderr.write(`${line}\n`);
  let node: Awaited<ReturnType<typeof startNode>>;
  try {
    const serviceProxy = opts.serviceProxy ?? "cluster-ip";
    if (serviceProxy !== "cluster-ip" && serviceProxy !== "loopback") throw new CliError(`--service-proxy must be cluster-ip or loopback, got "${serviceProxy}"`);
    node = await startNode({ kubeconfig, log, podCIDR: opts.podCidr ?? "10.244.0.0/16", serviceProxy, ...(opts.nodeName ? { nodeName: opts.nodeName } : {}) });
  } catch (err) {
    if (err instanceof NodeStartError) throw new CliError(err.message);
    throw err;
  }
  process.stdout.write(`kube-sim node ${node.nodeName} joined the cluster of ${kubeconfig}; Ctrl-C (or SIGTERM) stops it\n`);
  const stop = () => void node.shutdown().then(() => process.exit(0));
  process.once("SIGINT", stop);
  process.once("SIGTERM", stop);
}

export async function devCommand(opts: { sim?: boolean; kubeconfig?: string; port?: string; console?: boolean; consolePort?: string; insecureNoAuth?: boolean }): Promise<void> {
  // A workstation's tool: the health server listens on 127.0.0.1 unless told (BATON_HTTP_HOST).
  // kube-sim's pods listen on <pod IP>:<containerPort> on this machine (127.1.x.y with --sim,
  // 10.244.x.y as the node of a real control plane), and 0.0.0.0:8080 would take 8080 on all of them.
  const env = { BATON_HTTP_HOST: "127.0.0.1", ...process.env };
  let config: Config = loadConfig(env);
  let sim: KubeSim | undefined;
  if (opts.sim) {
    const started = await startSim({ kubeconfig: opts.kubeconfig, port: opts.port });
    sim = started.sim;
    // The services reach Services through the address kube-sim publishes on each one.
    config = loadConfig({ ...env, KUBECONFIG: started.kubeconfig, BATON_SERVICE_ADDRESS: "load-balancer" });
    process.stdout.write(`kube-sim serving at ${sim.url}; kubeconfig ${started.kubeconfig}\n`);
  } else if (opts.kubeconfig) {
    config = loadConfig({ ...env, KUBECONFIG: opts.kubeconfig });
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
