/**
 * `startNode`: a kube-sim node (kubelet + kube-proxy) joining the cluster a kubeconfig names,
 * speaking to its API server only through the HTTP API: kube-sim's own server or a real
 * kube-apiserver, the same code for both.
 */
import { hostname } from "node:os";
import { ApiClient } from "../client/rest.js";
import { Kubelet } from "../kubelet/kubelet.js";
import { checkName } from "../machinery/validation.js";
import { Proxy } from "../proxy/proxy.js";
import { Heartbeat } from "./heartbeat.js";
import type { NodeIdentity } from "./node-object.js";

export interface NodeOptions {
  /** The cluster to join: a kubeconfig file's path, or its YAML text. */
  kubeconfig: string;
  /** The Node's name. Default `kube-sim-<hostname>`. */
  nodeName?: string;
  /** Readiness probe period, in ms (see KubeSimOptions.probeIntervalMs). Default 100. */
  probeIntervalMs?: number;
  /** Where pods' Services listen (their published address). Default "127.0.0.1". */
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

function checkOptions(o: NodeOptions): Required<Omit<NodeOptions, "log">> & Pick<NodeOptions, "log"> {
  const nodeName = o.nodeName ?? defaultNodeName();
  const problems: string[] = [];
  if (typeof o.kubeconfig !== "string" || o.kubeconfig.trim() === "") problems.push("kubeconfig must be a path or the YAML text of a kubeconfig");
  for (const msg of checkName(nodeName, "subdomain")) problems.push(`nodeName "${nodeName}": ${msg}`);
  const probeIntervalMs = o.probeIntervalMs ?? 100;
  if (!Number.isFinite(probeIntervalMs) || probeIntervalMs <= 0) problems.push(`probeIntervalMs must be a positive number, got ${probeIntervalMs}`);
  const maxPods = o.maxPods ?? 1000;
  if (!Number.isInteger(maxPods) || maxPods < 1) problems.push(`maxPods must be a positive integer, got ${maxPods}`);
  const leaseDurationSeconds = o.leaseDurationSeconds ?? 40;
  if (!Number.isInteger(leaseDurationSeconds) || leaseDurationSeconds < 1) problems.push(`leaseDurationSeconds must be a positive integer, got ${leaseDurationSeconds}`);
  if (problems.length > 0) throw new NodeStartError(`kube-sim node: invalid options: ${problems.join("; ")}`);
  return { kubeconfig: o.kubeconfig, nodeName, probeIntervalMs, proxyHost: o.proxyHost ?? "127.0.0.1", maxPods, leaseDurationSeconds, log: o.log };
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
  const id: NodeIdentity = { name: o.nodeName, address: "127.0.0.1", maxPods: o.maxPods, leaseDurationSeconds: o.leaseDurationSeconds };
  const heartbeat = new Heartbeat({ client, id, log });
  const kubelet = new Kubelet({ client, nodeName: id.name, hostIP: id.address, probeIntervalMs: o.probeIntervalMs, log });
  const proxy = new Proxy({ client, host: o.proxyHost, log });
  try {
    await heartbeat.register();
    await Promise.all([kubelet.start(), proxy.start()]);
  } catch (err) {
    await heartbeat.stop(false);
    kubelet.close();
    await proxy.close();
    client.close();
    throw new NodeStartError(`kube-sim node ${id.name}: cannot join ${client.server.origin}: ${(err as Error).message}`, { cause: err });
  }
  heartbeat.start();
  log(`kube-sim node ${id.name}: joined ${client.server.origin}`);
  let closing: Promise<void> | undefined;
  return {
    nodeName: id.name,
    close() {
      closing ??= (async () => {
        await heartbeat.stop(true);
        kubelet.close();
        await proxy.close();
        client.close();
        log(`kube-sim node ${id.name}: stopped`);
      })();
      return closing;
    },
  };
}
