/**
 * `startKubeSim`: the API server, its controllers, the kubelet and the kube-proxy in this process.
 */
import type { AddressInfo } from "node:net";
import type { Server } from "node:http";
import { writeFile } from "node:fs/promises";
import { ApiCore, SYSTEM } from "./api/core.js";
import { createApiServer } from "./api/http-server.js";
import { ResourceRegistry } from "./api/resources.js";
import type { WatchStream } from "./api/watch.js";
import { startControllers } from "./controllers/index.js";
import { NODE_NAME } from "./controllers/replicaset.js";
import { startKubelet } from "./kubelet/index.js";
import { kubeconfigYaml } from "./kubeconfig.js";
import { startProxy } from "./proxy/index.js";
import { AuditLog } from "./store/audit.js";
import { Store } from "./store/store.js";
import type { KubeSim, KubeSimOptions } from "./types.js";

const DEFAULTS: Required<KubeSimOptions> = {
  host: "127.0.0.1",
  port: 0,
  probeIntervalMs: 100,
  watchHistorySize: 10_000,
  bookmarkIntervalMs: 1_000,
  logger: () => {},
};

/** Thrown when the simulator cannot start (bad options, port in use). */
export class KubeSimStartError extends Error {
  override readonly name = "KubeSimStartError";
}

function checkOptions(o: Required<KubeSimOptions>): void {
  const problems: string[] = [];
  if (!Number.isInteger(o.port) || o.port < 0 || o.port > 65535) problems.push(`port must be an integer in 0..65535, got ${o.port}`);
  for (const key of ["probeIntervalMs", "watchHistorySize", "bookmarkIntervalMs"] as const) {
    if (!Number.isFinite(o[key]) || o[key] <= 0) problems.push(`${key} must be a positive number, got ${o[key]}`);
  }
  if (problems.length > 0) throw new KubeSimStartError(`kube-sim: invalid options: ${problems.join("; ")}`);
}

/** The objects a fresh cluster has: the default namespaces and the single node. */
function bootstrap(core: ApiCore): void {
  const ns = core.registry.lookup("", "v1", "namespaces");
  const nodes = core.registry.lookup("", "v1", "nodes");
  if (!ns || !nodes) throw new KubeSimStartError("kube-sim: namespaces and nodes must be served");
  for (const name of ["default", "kube-system", "kube-public", "kube-node-lease"]) core.createSync(ns, "", { metadata: { name } }, SYSTEM);
  const node = core.createSync(nodes, "", { metadata: { name: NODE_NAME, labels: { "kubernetes.io/hostname": NODE_NAME, "kubernetes.io/os": "linux" } } }, SYSTEM);
  const now = node.metadata.creationTimestamp;
  const status = {
    conditions: [{ type: "Ready", status: "True", reason: "KubeletReady", message: "kubelet is posting ready status", lastHeartbeatTime: now, lastTransitionTime: now }],
    addresses: [{ type: "InternalIP", address: "127.0.0.1" }, { type: "Hostname", address: NODE_NAME }],
    nodeInfo: { kubeletVersion: "v1.32.0-kube-sim", operatingSystem: "linux", architecture: "amd64", containerRuntimeVersion: "kube-sim://1" },
  };
  core.update(nodes, "", NODE_NAME, { ...node, status }, SYSTEM, "status");
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
  const controllers = startControllers(core, log);
  bootstrap(core);
  const kubelet = startKubelet(core, { probeIntervalMs: o.probeIntervalMs, log });
  const proxy = startProxy(core, { host: o.host, log });
  const watches = new Set<WatchStream>();
  let address = `${o.host}:${o.port}`;
  const server = createApiServer({ core, bookmarkIntervalMs: o.bookmarkIntervalMs, watches, audit, log, address: () => address });
  let info: AddressInfo;
  try {
    info = await listen(server, o.port, o.host);
  } catch (err) {
    controllers.stop();
    await Promise.all([kubelet.close(), proxy.close()]);
    throw err;
  }
  address = `${info.address}:${info.port}`;
  const url = `http://${info.address.includes(":") ? `[${info.address}]` : info.address}:${info.port}`;
  log(`kube-sim: API server at ${url}`);
  let closing: Promise<void> | undefined;
  return {
    url,
    kubeconfig: () => kubeconfigYaml(url),
    writeKubeconfig: (path: string) => writeFile(path, kubeconfigYaml(url), { mode: 0o600 }),
    audit: () => audit.entries(),
    close() {
      closing ??= (async () => {
        controllers.stop();
        await closeServer(server, watches);
        await Promise.all([kubelet.close(), proxy.close()]);
        log("kube-sim: stopped");
      })();
      return closing;
    },
  };
}

function stripUndefined(o: KubeSimOptions): KubeSimOptions {
  return Object.fromEntries(Object.entries(o).filter(([, v]) => v !== undefined)) as KubeSimOptions;
}
