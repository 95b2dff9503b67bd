/**
 * Where a Service is reachable from outside the "cluster": the loopback port the node's proxy
 * gives it. A departure from a real cluster, published where Baton's
 * `BATON_SERVICE_ADDRESS=load-balancer` finds it:
 * - on every proxied Service, the annotation `baton.dev/external-address` = `<host>:<port>`
 *   (metadata: every API server accepts it, whatever the Service's type);
 * - on a Service of type LoadBalancer also `status.loadBalancer.ingress[0]` =
 *   `{ ip: <host>, ipMode: "VIP", ports: [{ port, protocol: "TCP" }] }`, as a load-balancer
 *   controller writes it. A real API server (1.29 and later, no feature gate left to change it)
 *   refuses `status.loadBalancer.ingress` on any other type with 422 "may only be used when
 *   `spec.type` is 'LoadBalancer'", and so does kube-sim's.
 * With several kube-sim nodes in a cluster, the first to publish keeps the Service: another node
 * replaces an address only when nothing answers on it any more (its node has gone).
 */
import type { Service } from "../kinds.js";

export const ADDRESS_ANNOTATION = "baton.dev/external-address";

/** Does the Service get a proxy port? */
export function isProxied(svc: Service): boolean {
  const spec = svc.spec;
  return !!spec && spec.type !== "ExternalName" && spec.clusterIP !== "None";
}

export function addressText(host: string, port: number): string {
  return `${host.includes(":") ? `[${host}]` : host}:${port}`;
}

export interface Ingress {
  ip?: string;
  ipMode?: string;
  ports?: { port?: number; protocol?: string }[];
}

export function ingressOf(host: string, port: number): Ingress[] {
  return [{ ip: host, ipMode: "VIP", ports: [{ port, protocol: "TCP" }] }];
}

/** A write that publishes the address, and the address it replaces (another node's, perhaps). */
export interface Publication {
  readonly subresource?: "status";
  readonly patch: object;
  /** The address the Service carries now (`host:port`), if any. */
  readonly current?: string;
}

/** What to write so the Service carries `host:port` (none when it does already). */
export function publications(svc: Service, host: string, port: number): Publication[] {
  const value = addressText(host, port);
  const out: Publication[] = [];
  const annotated = svc.metadata.annotations?.[ADDRESS_ANNOTATION];
  if (annotated !== value) out.push({ patch: { metadata: { annotations: { [ADDRESS_ANNOTATION]: value } } }, ...(annotated ? { current: annotated } : {}) });
  if (svc.spec.type !== "LoadBalancer") return out;
  const ingress = (svc.status?.loadBalancer?.ingress?.[0] ?? {}) as Ingress;
  const current = ingress.ip && ingress.ports?.[0]?.port ? addressText(ingress.ip, ingress.ports[0].port) : undefined;
  if (current !== value) out.push({ subresource: "status", patch: { status: { loadBalancer: { ingress: ingressOf(host, port) } } }, ...(current ? { current } : {}) });
  return out;
}
