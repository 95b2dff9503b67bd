/**
 * What a kube-sim node tells the API server about itself: its Node (labels, capacity,
 * allocatable, conditions, addresses, nodeInfo) and its Lease in kube-node-lease. The capacity is
 * simulated: a demo-app pod is a small HTTP server, so the node offers room for many pods and
 * reports CPU and memory large enough that kube-scheduler never refuses one for its requests.
 */
import { randomUUID } from "node:crypto";
import { release } from "node:os";
import type { Condition, KObject } from "../kinds.js";
import { timestamp } from "../machinery/objects.js";

/** The version a kube-sim node reports as its kubelet's (the API level kube-sim follows, marked). */
export const KUBELET_VERSION = "v1.32.0-kube-sim";
export const LEASE_NAMESPACE = "kube-node-lease";

export interface NodeIdentity {
  readonly name: string;
  /** The node's InternalIP, also every pod's hostIP. */
  readonly address: string;
  /** The port of the kubelet endpoint (HTTPS on `address`), where the API server reads logs. */
  readonly kubeletPort: number;
  readonly maxPods: number;
  /** The Lease's duration; it is renewed every quarter of it (a kubelet's --node-lease-duration-seconds). */
  readonly leaseDurationSeconds: number;
}

const BOOT_ID = randomUUID();
const MACHINE_ID = randomUUID().replace(/-/g, "");

function arch(): string {
  return process.arch === "x64" ? "amd64" : process.arch;
}

export function nodeLabels(name: string): Record<string, string> {
  return { "kubernetes.io/hostname": name, "kubernetes.io/os": "linux", "kubernetes.io/arch": arch(), "beta.kubernetes.io/os": "linux", "beta.kubernetes.io/arch": arch() };
}

function condition(type: string, ok: boolean, reason: string, message: string, now: string, old: Condition[] | undefined): Condition {
  const status = ok ? "True" : "False";
  const before = old?.find((c) => c.type === type);
  const lastTransitionTime = before?.status === status ? (before.lastTransitionTime ?? now) : now;
  return { type, status, reason, message, lastHeartbeatTime: now, lastTransitionTime };
}

/** The node's status; `ready` false with `why` when the node is shutting down. */
export function nodeStatus(id: NodeIdentity, old: Condition[] | undefined, ready = true, why = "kubelet is posting ready status"): Record<string, unknown> {
  const now = timestamp();
  const resources = { cpu: "64", memory: "256Gi", pods: String(id.maxPods), "ephemeral-storage": "100Gi" };
  return {
    capacity: resources,
    allocatable: resources,
    conditions: [
      condition("MemoryPressure", false, "KubeletHasSufficientMemory", "kubelet has sufficient memory available", now, old),
      condition("DiskPressure", false, "KubeletHasNoDiskPressure", "kubelet has no disk pressure", now, old),
      condition("PIDPressure", false, "KubeletHasSufficientPID", "kubelet has sufficient PID available", now, old),
      condition("Ready", ready, ready ? "KubeletReady" : "KubeletNotReady", why, now, old),
    ],
    addresses: [
      { type: "InternalIP", address: id.address },
      { type: "Hostname", address: id.name },
    ],
    daemonEndpoints: { kubeletEndpoint: { Port: id.kubeletPort } },
    nodeInfo: {
      machineID: MACHINE_ID,
      systemUUID: MACHINE_ID,
      bootID: BOOT_ID,
      kernelVersion: release(),
      osImage: "kube-sim",
      containerRuntimeVersion: "kube-sim://1",
      kubeletVersion: KUBELET_VERSION,
      operatingSystem: "linux",
      architecture: arch(),
    },
  };
}

export function nodeObject(id: NodeIdentity): KObject {
  return { apiVersion: "v1", kind: "Node", metadata: { name: id.name, labels: nodeLabels(id.name) }, spec: {}, status: nodeStatus(id, undefined) };
}

/** A MicroTime, as Lease times are written: `2026-01-02T15:04:05.123456Z`. */
export function microTime(ms = Date.now()): string {
  return new Date(ms).toISOString().replace(/\.(\d{3})Z$/, ".$1000Z");
}

export function leaseObject(node: KObject, leaseDurationSeconds: number): KObject {
  const name = node.metadata.name ?? "";
  return {
    apiVersion: "coordination.k8s.io/v1",
    kind: "Lease",
    metadata: { name, namespace: LEASE_NAMESPACE, ownerReferences: [{ apiVersion: "v1", kind: "Node", name, uid: node.metadata.uid ?? "" }] },
    spec: { holderIdentity: name, leaseDurationSeconds, renewTime: microTime() },
  };
}
