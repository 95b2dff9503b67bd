import type { V1Pod } from "@kubernetes/client-node";
import { LABEL_APP, LABEL_REVISION, kubeCall, kubeError, readyServiceEndpoints, type ServiceEndpoint } from "@baton/runtime";
import type { KubePorts } from "../kube.js";

// What traffic really reaches: the ready endpoints of a Service as kube-proxy reads them — its
// EndpointSlices (discovery.k8s.io/v1, labelled kubernetes.io/service-name; the v1 Endpoints API is
// deprecated since Kubernetes 1.33) — told apart by the revision of the pod behind each one (the
// pod's labels, matched by targetRef name or IP).

export type Address = ServiceEndpoint;

/** Ready addresses of a Service's EndpointSlices (what kube-proxy reads); none when it has none. */
export function readyAddresses(kube: KubePorts, namespace: string, name: string): Promise<Address[]> {
  return readyServiceEndpoints(kube.discovery, kube.metrics, namespace, name);
}

/** The pods of one revision of an app: their names and IPs, and how many are Ready. */
export interface RevisionPods {
  readonly names: ReadonlySet<string>;
  readonly ips: ReadonlySet<string>;
  readonly ready: number;
}

export async function revisionPods(kube: KubePorts, namespace: string, app: string, revision: number): Promise<RevisionPods> {
  const labelSelector = `${LABEL_APP}=${app},${LABEL_REVISION}=${revision}`;
  try {
    const list = await kubeCall(kube.metrics, "list", "pods", () => kube.core.listNamespacedPod({ namespace, labelSelector }));
    const names = new Set<string>();
    const ips = new Set<string>();
    for (const pod of list.items) {
      if (pod.metadata?.name) names.add(pod.metadata.name);
      for (const ip of pod.status?.podIPs?.map((p) => p.ip) ?? [pod.status?.podIP]) if (ip) ips.add(ip);
    }
    return { names, ips, ready: list.items.filter(isServing).length };
  } catch (err) {
    throw kubeError(`list Pods of ${namespace}/${app} revision ${revision}`, err);
  }
}

/** Ready and not being deleted: a pod a Service may send traffic to. */
export function isServing(pod: V1Pod): boolean {
  if (pod.metadata?.deletionTimestamp) return false;
  return pod.status?.conditions?.some((c) => c.type === "Ready" && c.status === "True") ?? false;
}

export function belongsTo(a: Address, pods: RevisionPods): boolean {
  return a.pod !== undefined ? pods.names.has(a.pod) : pods.ips.has(a.ip);
}

/** Addresses split into those of the revision and the others, each address counted once. */
export function split(addresses: readonly Address[], pods: RevisionPods): { ofRevision: number; others: number } {
  const seen = new Set<string>();
  let ofRevision = 0;
  let others = 0;
  for (const a of addresses) {
    if (seen.has(a.ip)) continue;
    seen.add(a.ip);
    if (belongsTo(a, pods)) ofRevision++;
    else others++;
  }
  return { ofRevision, others };
}
