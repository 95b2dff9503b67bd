/**
 * `startNode`: a kube-sim node (kubelet + kube-proxy) joining the cluster a kubeconfig names,
 * speaking to its API server only through the HTTP API: kube-sim's own server or a real
 * kube-apiserver, the same code for both.
 */
import { hostname } from "node:os";
import { ApiClient } from "../client/rest.js";
import { IpPool, LOOPBACK_POD_CIDR, parseCidr, type Cidr } from "../kubelet/ip-pool.js";
import { Kubelet, type OpenedLog } from "../kubelet/kubelet.js";
import { checkName } from "../machinery/validation.js";
import { Proxy, type ServiceProxyMode } from "../proxy/proxy.js";
import { bindError, routeHint } from "./bindable.js";
import { Heartbeat } from "./heartbeat.js";
import { startKubeletServer, type KubeletServer } from "./kubelet-server.js";
import type { NodeIdentity } from "./node-object.js";

export interface NodeOptions {
  /** The cluster to join: a kubeconfig file's path, or its YAML text. */
  kubeconfig: string;
  /** The Node's name. Default `kube-sim-<hostname>`. */
  nodeName?: string;
  /** Readiness probe period, in ms (see KubeSimOptions.probeIntervalMs). Default 100. */
  probeIntervalMs?: number;
  /**
   * Where pod IPs come from. Default 127.1.0.0/16 (loopback: nothing to set up, but a real API
   * server refuses loopback addresses in EndpointSlices). Joining a real cluster, use a range
   * made local to this machine (`ip route replace local 10.244.0.0/16 dev lo`): the node checks
   * at start that it can bind an address there.
   */
  podCIDR?: string;
  /**
   * How Services are reached. `loopback` (default): the first port of each Service gets a port
   * on `proxyHost`, published on the Service (annotation baton.dev/external-address; and
   * status.loadBalancer of a LoadBalancer Service). `cluster-ip`: every Service port listens on
   * its ClusterIP, as kube-proxy makes it in a cluster (the Service range must be local here).
   */
  serviceProxy?: ServiceProxyMode;
  /** loopback mode: where Services' ports listen (their published address). Default "127.0.0.1". */
  proxyHost?: string;
  /** The pods the Node offers room for (status.capacity.pods). Default 1000. */
  maxPods?: number;
  /** Duration of the node's Lease in kube-node-lease, renewed every quarter of it. Default 40 (a kubelet's default). */
  leaseDurationSeconds?: number;
  /** Receives one line per notable event. Default: silent. */
  log?: (line: string) => void;
}

export interface KubeSimNode {
  readonly nodeName: string;
  /** The port of the node's kubelet endpoint (HTTPS on 127.0.0.1; the Node's status.daemonEndpoints.kubeletEndpoint.Port). */
  readonly kubeletPort: number;
  /** A container's log, as the kubelet endpoint serves it (kube-sim's own API server reads it in-process). */
  openLog(namespace: string, pod: string, container: string, previous: boolean): OpenedLog;
  /**
   * A graceful node shutdown, then close(): every pod gets SIGTERM and its grace period (at most
   * `graceMs`, default 10 s), then is marked Failed (reason Terminated, condition
   * DisruptionTarget) so its Deployment replaces it rather than the API keeping a Ready pod that no
   * longer runs. What `baton sim --node` does on SIGINT / SIGTERM.
   */
  shutdown(graceMs?: number): Promise<void>;
  /**
   * Leaves the cluster: reports the Node NotReady ("node is shutting down"), stops watching, kills
   * every pod's demo app and closes every Service port. The Node object stays, as a stopped
   * kubelet's does.
   */
  close(): Promise<void>;
}

/** Thrown when the node cannot start (bad options, an API server that refuses it). */
export class NodeStartError extends Error {
  override readonly name = "NodeStartError";
}

/** `kube-sim-<hostname>`, made a valid Node name. */
export function defaultNodeName(): string {
  const host = hostname().toLowerCase().replace(/[^a-z0-9.-]+/g, "-").replace(/^[-.]+|[-.]+$/g, "");
  return `kube-sim-${host || "node"}`.slice(0, 63).replace(/[-.]+$/, "");
}

type Checked = Required<Omit<NodeOptions, "log" | "podCIDR">> & Pick<NodeOptions, "log"> & { podCidr: Cidr };

function checkOptions(o: NodeOptions): Checked {
  const nodeName = o.nodeName ?? defaultNodeName();
  const problems: string[] = [];
  const podCidr = parseCidr(o.podCIDR ?? LOOPBACK_POD_CIDR);
  if (!podCidr) problems.push(`podCIDR must be an IPv4 range of /8 to /28 such as 10.244.0.0/16, got "${o.podCIDR ?? ""}"`);
  const serviceProxy = o.serviceProxy ?? "loopback";
  if (serviceProxy !== "loopback" && serviceProxy !== "cluster-ip") problems.push(`serviceProxy must be "loopback" or "cluster-ip", got "${String(serviceProxy)}"`);
  if (typeof o.kubeconfig !== "string" || o.kubeconfig.trim() === "") problems.push("kubeconfig must be a path or the YAML text of a kubeconfig");
  for (const msg of checkName(nodeName, "subdomain")) problems.push(`nodeName "${nodeName}": ${msg}`);
  const probeIntervalMs = o.probeIntervalMs ?? 100;
  if (!Number.isFinite(probeIntervalMs) || probeIntervalMs <= 0) problems.push(`probeIntervalMs must be a positive number, got ${probeIntervalMs}`);
  const maxPods = o.maxPods ?? 1000;
  if (!Number.isInteger(maxPods) || maxPods < 1) problems.push(`maxPods must be a positive integer, got ${maxPods}`);
  const leaseDurationSeconds = o.leaseDurationSeconds ?? 40;
  if (!Number.isInteger(leaseDurationSeconds) || leaseDurationSeconds < 1) problems.push(`leaseDurationSeconds must be a positive integer, got ${leaseDurationSeconds}`);
  if (problems.length > 0 || !podCidr) throw new NodeStartError(`kube-sim node: invalid options: ${problems.join("; ")}`);
  return { kubeconfig: o.kubeconfig, nodeName, probeIntervalMs, podCidr, serviceProxy, proxyHost: o.proxyHost ?? "127.0.0.1", maxPods, leaseDurationSeconds, log: o.log };
}

/** Pods need addresses of the pod CIDR that this machine can bind. */
async function checkPodAddresses(o: Checked): Promise<void> {
  const code = await bindError(new IpPool(o.podCidr).sample());
  if (code) throw new NodeStartError(`kube-sim node: cannot bind pod addresses of ${o.podCidr.text} here (${code}): ${routeHint(o.podCidr.text)}, or choose another pod CIDR`);
}

/** In cluster-ip mode, Services listen on their ClusterIPs: the API server's Service range must be local here. */
async function checkClusterIPs(proxy: Proxy): Promise<void> {
  const ip = proxy.someClusterIP();
  const code = ip ? await bindError(ip) : undefined;
  if (!ip || !code) return;
  const example = `${ip.split(".").slice(0, 2).join(".")}.0.0/16`;
  throw new Error(`cannot bind ClusterIP ${ip} here (${code}): the API server's Service range (--service-cluster-ip-range) must be local to this machine; ${routeHint(example)} if that is the range`);
}

export async function startNode(options: NodeOptions): Promise<KubeSimNode> {
  const o = checkOptions(options);
  const log = o.log ?? (() => {});
  let client: ApiClient;
  try {
    client = ApiClient.fromKubeconfig(o.kubeconfig);
  } catch (err) {
    throw new NodeStartError(`kube-sim node: cannot read the kubeconfig: ${(err as Error).message}`, { cause: err });
  }
  await checkPodAddresses(o);
  const address = "127.0.0.1";
  const kubelet = new Kubelet({ client, nodeName: o.nodeName, hostIP: address, podCidr: o.podCidr, probeIntervalMs: o.probeIntervalMs, log });
  let server: KubeletServer;
  try {
    server = await startKubeletServer(kubelet, address, o.nodeName);
  } catch (err) {
    client.close();
    throw new NodeStartError(`kube-sim node ${o.nodeName}: cannot serve its kubelet endpoint on ${address}: ${(err as Error).message}`, { cause: err });
  }
  const id: NodeIdentity = { name: o.nodeName, address, kubeletPort: server.port, maxPods: o.maxPods, leaseDurationSeconds: o.leaseDurationSeconds };
  const heartbeat = new Heartbeat({ client, id, log });
  const proxy = new Proxy({ client, mode: o.serviceProxy, host: o.proxyHost, log });
  try {
    await proxy.start();
    if (o.serviceProxy === "cluster-ip") await checkClusterIPs(proxy);
    await heartbeat.register();
    await kubelet.start();
  } catch (err) {
    await heartbeat.stop(false);
    kubelet.close();
    await proxy.close();
    await server.close();
    client.close();
    throw new NodeStartError(`kube-sim node ${id.name}: cannot join ${client.server.origin}: ${(err as Error).message}`, { cause: err });
  }
  heartbeat.start();
  log(`kube-sim node ${id.name}: joined ${client.server.origin} (kubelet endpoint https://${address}:${server.port})`);
  let closing: Promise<void> | undefined;
  const stop = (drain: (() => Promise<void>) | undefined): Promise<void> => {
    closing ??= (async () => {
      await heartbeat.stop(true);
      await drain?.();
      kubelet.close();
      await proxy.close();
      await server.close();
      client.close();
      log(`kube-sim node ${id.name}: stopped`);
    })();
    return closing;
  };
  return {
    nodeName: id.name,
    kubeletPort: server.port,
    openLog: (namespace, pod, container, previous) => kubelet.openLog(namespace, pod, container, previous),
    shutdown: (graceMs = 10_000) => stop(() => kubelet.shutdown(graceMs)),
    close: () => stop(undefined),
  };
}
