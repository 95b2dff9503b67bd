/**
 * `startKubeSim`: the API server and its controllers in this process, and a kube-sim node
 * (kubelet + kube-proxy) joined to it through its HTTP API, as `startNode` joins any API server.
 */
import type { AddressInfo } from "node:net";
import type { Server } from "node:http";
import { writeFile } from "node:fs/promises";
import { ApiCore, SYSTEM } from "./api/core.js";
import { createApiServer } from "./api/http-server.js";
import type { LogContext } from "./api/pod-log.js";
import { ResourceRegistry } from "./api/resources.js";
import type { WatchStream } from "./api/watch.js";
import { startControllers } from "./controllers/index.js";
import { kubeconfigYaml } from "./kubeconfig.js";
import { startNode, type KubeSimNode } from "./node/start-node.js";
import { AuditLog, SYSTEM_USER } from "./store/audit.js";
import { Store } from "./store/store.js";
import type { KubeSim, KubeSimOptions } from "./types.js";

const DEFAULTS: Required<KubeSimOptions> = {
  host: "127.0.0.1",
  port: 0,
  probeIntervalMs: 100,
  watchHistorySize: 10_000,
  bookmarkIntervalMs: 1_000,
  eventTtlMs: 3_600_000,
  logger: () => {},
};

/** Thrown when the simulator cannot start (bad options, port in use). */
export class KubeSimStartError extends Error {
  override readonly name = "KubeSimStartError";
}

function checkOptions(o: Required<KubeSimOptions>): void {
  const problems: string[] = [];
  if (!Number.isInteger(o.port) || o.port < 0 || o.port > 65535) problems.push(`port must be an integer in 0..65535, got ${o.port}`);
  for (const key of ["probeIntervalMs", "watchHistorySize", "bookmarkIntervalMs", "eventTtlMs"] as const) {
    if (!Number.isFinite(o[key]) || o[key] <= 0) problems.push(`${key} must be a positive number, got ${o[key]}`);
  }
  if (problems.length > 0) throw new KubeSimStartError(`kube-sim: invalid options: ${problems.join("; ")}`);
}

/** The node kube-sim starts against its own API server. */
export const NODE_NAME = "kube-sim";

/** The objects a fresh cluster has: the default namespaces (the node registers itself). */
function bootstrap(core: ApiCore): void {
  const ns = core.registry.lookup("", "v1", "namespaces");
  if (!ns) throw new KubeSimStartError("kube-sim: namespaces must be served");
  for (const name of ["default", "kube-system", "kube-public", "kube-node-lease"]) core.create(ns, "", { metadata: { name } }, SYSTEM);
}

function listen(server: Server, port: number, host: string): Promise<AddressInfo> {
  return new Promise((resolve, reject) => {
    server.once("error", (err) => reject(new KubeSimStartError(`kube-sim: cannot listen on ${host}:${port}: ${err.message}`, { cause: err })));
    server.listen(port, host, () => resolve(server.address() as AddressInfo));
  });
}

function closeServer(server: Server, watches: Set<WatchStream>): Promise<void> {
  for (const w of [...watches]) w.close();
  return new Promise((resolve) => {
    server.close(() => resolve());
    server.closeAllConnections();
  });
}

export async function startKubeSim(options: KubeSimOptions = {}): Promise<KubeSim> {
  const o: Required<KubeSimOptions> = { ...DEFAULTS, ...stripUndefined(options) };
  checkOptions(o);
  const log = o.logger;
  const store = new Store(o.watchHistorySize);
  const audit = new AuditLog();
  const core = new ApiCore(store, new ResourceRegistry(), audit);
  const controllers = startControllers(core, log, { eventTtlMs: o.eventTtlMs });
  bootstrap(core);
  const watches = new Set<WatchStream>();
  let address = `${o.host}:${o.port}`;
  const logs: LogContext = {};
  const server = createApiServer({ core, bookmarkIntervalMs: o.bookmarkIntervalMs, watches, logs, audit, log, address: () => address });
  let info: AddressInfo;
  try {
    info = await listen(server, o.port, o.host);
  } catch (err) {
    controllers.stop();
    throw err;
  }
  address = `${info.address}:${info.port}`;
  const url = `http://${info.address.includes(":") ? `[${info.address}]` : info.address}:${info.port}`;
  log(`kube-sim: API server at ${url}`);
  let node: KubeSimNode;
  try {
    // The node writes as kube-sim itself, so clients' writes stay apart from the simulator's in the audit.
    node = await startNode({ kubeconfig: kubeconfigYaml(url, "default", SYSTEM_USER), nodeName: NODE_NAME, probeIntervalMs: o.probeIntervalMs, proxyHost: o.host, log });
  } catch (err) {
    controllers.stop();
    await closeServer(server, watches);
    throw new KubeSimStartError(`kube-sim: its node did not start: ${(err as Error).message}`, { cause: err });
  }
  logs.localNode = node;
  let closing: Promise<void> | undefined;
  return {
    url,
    kubeconfig: () => kubeconfigYaml(url),
    writeKubeconfig: (path: string) => writeFile(path, kubeconfigYaml(url), { mode: 0o600 }),
    audit: () => audit.entries(),
    close() {
      closing ??= (async () => {
        await node.close();
        controllers.stop();
        await closeServer(server, watches);
        log("kube-sim: stopped");
      })();
      return closing;
    },
  };
}

function stripUndefined(o: KubeSimOptions): KubeSimOptions {
  return Object.fromEntries(Object.entries(o).filter(([, v]) => v !== undefined)) as KubeSimOptions;
}
