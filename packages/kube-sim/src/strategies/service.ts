/** Services: defaults (cluster IP, node ports, target ports) and validation. */
import type { FieldError } from "../api/errors.js";
import type { Service, ServicePort } from "../kinds.js";
import { isPlainObject } from "../machinery/objects.js";
import { portRangeErrors } from "../machinery/validation.js";
import type { Strategy } from "./strategy.js";

const TYPES = ["ClusterIP", "NodePort", "LoadBalancer", "ExternalName"];
const PORT_NAME = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/;
const IANA_NAME = /^(?=.*[a-z])[a-z0-9]([a-z0-9-]*[a-z0-9])?$/;

class Allocator {
  #nextIp = 2;
  #nextNodePort = 30000;
  clusterIP(): string {
    const n = this.#nextIp++;
    return `10.96.${(n >> 8) & 255}.${n & 255}`;
  }
  nodePort(): number {
    const port = this.#nextNodePort;
    this.#nextNodePort = port >= 32767 ? 30000 : port + 1;
    return port;
  }
}

function defaultPorts(spec: Service["spec"], alloc: Allocator): void {
  for (const p of spec.ports ?? []) {
    if (!isPlainObject(p)) continue;
    p.protocol ??= "TCP";
    p.targetPort ??= p.port;
    if ((spec.type === "NodePort" || spec.type === "LoadBalancer") && !p.nodePort) p.nodePort = alloc.nodePort();
  }
}

function portErrors(ports: ServicePort[]): FieldError[] {
  const errors: FieldError[] = [];
  const names = new Set<string>();
  ports.forEach((p, i) => {
    const at = `spec.ports[${i}]`;
    errors.push(...portRangeErrors(`${at}.port`, p.port));
    if (ports.length > 1 && !p.name) errors.push({ type: "Required", field: `${at}.name` });
    if (p.name && !PORT_NAME.test(p.name)) errors.push({ type: "Invalid", field: `${at}.name`, value: p.name, detail: "must be a DNS label" });
    if (p.name && names.has(p.name)) errors.push({ type: "Duplicate", field: `${at}.name`, value: p.name });
    if (p.name) names.add(p.name);
    const target = p.targetPort;
    if (typeof target === "number") errors.push(...portRangeErrors(`${at}.targetPort`, target));
    else if (typeof target === "string" && (target.length > 15 || !IANA_NAME.test(target))) {
      errors.push({ type: "Invalid", field: `${at}.targetPort`, value: target, detail: "must contain at least one letter (a-z) and be a valid IANA service name" });
    }
  });
  return errors;
}

function serviceErrors(svc: Service, old: Service | undefined): FieldError[] {
  const spec = svc.spec;
  if (!isPlainObject(spec)) return [{ type: "Required", field: "spec.ports" }];
  const errors: FieldError[] = [];
  if (spec.type && !TYPES.includes(spec.type)) {
    errors.push({ type: "NotSupported", field: "spec.type", value: spec.type, detail: TYPES.map((t) => `"${t}"`).join(", ") });
  }
  const headless = spec.clusterIP === "None";
  const ports = Array.isArray(spec.ports) ? spec.ports : [];
  if (ports.length === 0 && !headless && spec.type !== "ExternalName") errors.push({ type: "Required", field: "spec.ports" });
  errors.push(...portErrors(ports));
  if (old && old.spec.clusterIP && spec.clusterIP !== old.spec.clusterIP) {
    errors.push({ type: "Invalid", field: "spec.clusterIPs[0]", value: [spec.clusterIP], detail: "may not change once set" });
  }
  return errors;
}

interface LoadBalancerIngress {
  ip?: string;
  hostname?: string;
  ipMode?: string;
  ports?: unknown[];
}

const IP_MODES = ["Proxy", "VIP"];

/**
 * A status write's load-balancer part, as the real API server judges it: `ingress` only on a
 * Service of type LoadBalancer (Kubernetes >= 1.29 has no switch for this), `ipMode` defaulted to
 * VIP where an `ip` is set, and required with it.
 */
function loadBalancerStatusErrors(svc: Service): FieldError[] {
  const ingress = (svc.status?.loadBalancer?.ingress ?? []) as LoadBalancerIngress[];
  if (!Array.isArray(ingress) || ingress.length === 0) return [];
  if (svc.spec.type !== "LoadBalancer") return [{ type: "Forbidden", field: "status.loadBalancer.ingress", detail: "may only be used when `spec.type` is 'LoadBalancer'" }];
  const errors: FieldError[] = [];
  ingress.forEach((ing, i) => {
    const at = `status.loadBalancer.ingress[${i}]`;
    if (!isPlainObject(ing)) return;
    if (ing.ip) ing.ipMode ??= "VIP";
    if (ing.ipMode !== undefined && !ing.ip) errors.push({ type: "Forbidden", field: `${at}.ipMode`, detail: "may not be specified when `ip` is not set" });
    else if (ing.ipMode !== undefined && !IP_MODES.includes(String(ing.ipMode))) errors.push({ type: "NotSupported", field: `${at}.ipMode`, value: ing.ipMode, detail: `supported values: "Proxy", "VIP"` });
  });
  return errors;
}

export function serviceStrategy(): Strategy {
  const alloc = new Allocator();
  return {
    nameRule: "dns1035",
    defaults(obj) {
      const spec = (obj as Service).spec;
      if (!isPlainObject(spec)) return;
      spec.type ??= "ClusterIP";
      spec.sessionAffinity ??= "None";
      if (spec.type !== "ExternalName") {
        spec.clusterIP ??= alloc.clusterIP();
        spec.clusterIPs ??= [spec.clusterIP];
        spec.ipFamilies ??= ["IPv4"];
        spec.ipFamilyPolicy ??= "SingleStack";
        spec.internalTrafficPolicy ??= "Cluster";
      }
      defaultPorts(spec, alloc);
    },
    prepareUpdate(obj, old) {
      const spec = (obj as Service).spec;
      const before = (old as Service).spec;
      if (!isPlainObject(spec)) return;
      if (spec.clusterIP === undefined || spec.clusterIP === "") {
        spec.clusterIP = before.clusterIP;
        spec.clusterIPs = before.clusterIPs;
      }
      for (const p of spec.ports ?? []) {
        const match = before.ports?.find((b) => b.port === p.port);
        if (isPlainObject(p) && !p.nodePort && match?.nodePort) p.nodePort = match.nodePort;
      }
      // A Service that stops being a LoadBalancer loses its load-balancer status (as the real one).
      const svc = obj as Service;
      if (spec.type !== "LoadBalancer" && svc.status?.loadBalancer?.ingress) svc.status = { ...svc.status, loadBalancer: {} };
    },
    validateStatus: (obj) => loadBalancerStatusErrors(obj as Service),
    initialStatus: () => ({ loadBalancer: {} }),
    validate: (obj, old) => serviceErrors(obj as Service, old as Service | undefined),
  };
}
