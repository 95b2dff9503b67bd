/**
 * Where a Service is reachable from outside the simulator. A departure from a real cluster: every
 * Service (of any type but ExternalName and headless ones) gets a loopback "load balancer" address,
 * written as the annotation `sim.baton.dev/address` = `<host>:<port>` and as
 * `status.loadBalancer.ingress[0]` = `{ ip: <host>, ports: [{ port, protocol: "TCP" }] }`.
 * Both are server-owned: every write to the Service gets them back.
 */
import type { KObject, Service } from "../kinds.js";

export const ADDRESS_ANNOTATION = "sim.baton.dev/address";

/** Does the Service get a proxy port? */
export function isProxied(svc: Service): boolean {
  const spec = svc.spec;
  return !!spec && spec.type !== "ExternalName" && spec.clusterIP !== "None";
}

/** Writes the address onto `obj` (a fresh copy owned by the caller; nested objects are replaced, never mutated). */
export function stampAddress(obj: KObject, host: string, port: number): void {
  const svc = obj as Service;
  svc.metadata = { ...svc.metadata, annotations: { ...svc.metadata.annotations, [ADDRESS_ANNOTATION]: `${host}:${port}` } };
  const ingress = [{ ip: host, ports: [{ port, protocol: "TCP" }] }];
  svc.status = { ...svc.status, loadBalancer: { ingress } };
}

/** Does the object already carry exactly this address? */
export function hasAddress(obj: KObject, host: string, port: number): boolean {
  const svc = obj as Service;
  const ingress = svc.status?.loadBalancer?.ingress?.[0] as { ip?: string; ports?: { port?: number }[] } | undefined;
  return svc.metadata.annotations?.[ADDRESS_ANNOTATION] === `${host}:${port}` && ingress?.ip === host && ingress.ports?.[0]?.port === port;
}
