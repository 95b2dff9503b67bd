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

/** The metadata patch that publishes the address, or undefined when the Service carries it already. */
export function annotationPatch(svc: Service, host: string, port: number): object | undefined {
  const value = addressText(host, port);
  return svc.metadata.annotations?.[ADDRESS_ANNOTATION] === value ? undefined : { metadata: { annotations: { [ADDRESS_ANNOTATION]: value } } };
}

/** The status patch of a LoadBalancer Service, or undefined when none is needed. */
export function statusPatch(svc: Service, host: string, port: number): object | undefined {
  if (svc.spec.type !== "LoadBalancer") return undefined;
  const ingress = (svc.status?.loadBalancer?.ingress?.[0] ?? {}) as Ingress;
  if (ingress.ip === host && ingress.ports?.[0]?.port === port) return undefined;
  return { status: { loadBalancer: { ingress: ingressOf(host, port) } } };
}
