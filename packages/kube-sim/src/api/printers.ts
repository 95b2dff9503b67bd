/**
 * The columns and cells of the built-in kinds' Tables, as the real API server's printers make them
 * (always with the `-o wide` columns, at priority 1, which kubectl shows only with `-o wide`).
 */
import type { Deployment, Endpoints, KObject, Pod, ReplicaSet, Service } from "../kinds.js";
import { selectorText } from "./scale.js";

export interface Column {
  name: string;
  type: string;
  format?: string;
  description?: string;
  priority?: number;
}

export type Cells = (string | number)[];

export interface Printer {
  columns: Column[];
  cells(obj: KObject, now: number): Cells;
}

/** Kubernetes' short human durations: 45s, 3m20s, 5h, 2d3h. */
export function humanAge(created: string | undefined, now: number): string {
  if (!created) return "<unknown>";
  const s = Math.max(0, Math.floor((now - Date.parse(created)) / 1000));
  const m = Math.floor(s / 60);
  const h = Math.floor(m / 60);
  const d = Math.floor(h / 24);
  if (s < 120) return `${s}s`;
  if (m < 10) return s % 60 === 0 ? `${m}m` : `${m}m${s % 60}s`;
  if (m < 180) return `${m}m`;
  if (h < 8) return m % 60 === 0 ? `${h}h` : `${h}h${m % 60}m`;
  if (h < 48) return `${h}h`;
  if (d < 8) return h % 24 === 0 ? `${d}d` : `${d}d${h % 24}h`;
  return `${d}d`;
}

export const NAME: Column = { name: "Name", type: "string", format: "name" };
const AGE: Column = { name: "Age", type: "string" };
const col = (name: string, type = "string", priority = 0): Column => ({ name, type, priority });
const wide = (name: string, type = "string"): Column => col(name, type, 1);
const age = (o: KObject, now: number) => humanAge(o.metadata.creationTimestamp, now);
const name = (o: KObject) => o.metadata.name ?? "";
const orNone = (s: string | undefined) => s || "<none>";

/** `a=1,b=2`, sorted by key, or `<none>` (labels.FormatLabels). */
function formatLabels(labels: Record<string, string> | undefined): string {
  return orNone(
    Object.entries(labels ?? {})
      .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))
      .map(([k, v]) => `${k}=${v}`)
      .join(","),
  );
}

function containerCells(containers: { name: string; image?: string }[] | undefined): [string, string] {
  const list = containers ?? [];
  return [list.map((c) => c.name).join(","), list.map((c) => c.image ?? "").join(",")];
}

function podStatus(pod: Pod): string {
  if (pod.metadata.deletionTimestamp) return "Terminating";
  for (const cs of pod.status?.containerStatuses ?? []) {
    const waiting = cs.state.waiting as { reason?: string } | undefined;
    if (waiting?.reason) return waiting.reason;
  }
  return pod.status?.phase ?? "Pending";
}

const POD: Printer = {
  columns: [NAME, col("Ready"), col("Status"), col("Restarts"), AGE, wide("IP"), wide("Node"), wide("Nominated Node"), wide("Readiness Gates")],
  cells(obj, now) {
    const pod = obj as Pod;
    const statuses = pod.status?.containerStatuses ?? [];
    const ready = statuses.filter((c) => c.ready).length;
    const restarts = statuses.reduce((n, c) => n + (c.restartCount ?? 0), 0);
    const gates = (pod.spec?.readinessGates ?? []) as { conditionType: string }[];
    const trueGates = gates.filter((g) => pod.status?.conditions?.some((c) => c.type === g.conditionType && c.status === "True")).length;
    return [
      name(obj),
      `${ready}/${pod.spec?.containers?.length ?? 0}`,
      podStatus(pod),
      String(restarts),
      age(obj, now),
      orNone(pod.status?.podIPs?.[0]?.ip),
      orNone(pod.spec?.nodeName),
      orNone(pod.status?.nominatedNodeName as string | undefined),
      gates.length > 0 ? `${trueGates}/${gates.length}` : "<none>",
    ];
  },
};

const DEPLOYMENT: Printer = {
  columns: [NAME, col("Ready"), col("Up-to-date"), col("Available"), AGE, wide("Containers"), wide("Images"), wide("Selector")],
  cells(obj, now) {
    const d = obj as Deployment;
    const s = d.status ?? {};
    return [name(obj), `${s.readyReplicas ?? 0}/${d.spec?.replicas ?? 0}`, s.updatedReplicas ?? 0, s.availableReplicas ?? 0, age(obj, now), ...containerCells(d.spec?.template?.spec?.containers), selectorText(d.spec?.selector)];
  },
};

const REPLICA_SET: Printer = {
  columns: [NAME, col("Desired", "integer"), col("Current", "integer"), col("Ready", "integer"), AGE, wide("Containers"), wide("Images"), wide("Selector")],
  cells(obj, now) {
    const rs = obj as ReplicaSet;
    return [name(obj), rs.spec?.replicas ?? 0, rs.status?.replicas ?? 0, rs.status?.readyReplicas ?? 0, age(obj, now), ...containerCells(rs.spec?.template?.spec?.containers), selectorText(rs.spec?.selector)];
  },
};

const SERVICE: Printer = {
  columns: [NAME, col("Type"), col("Cluster-IP"), col("External-IP"), col("Port(s)"), AGE, wide("Selector")],
  cells(obj, now) {
    const svc = obj as Service;
    const ingress = (svc.status?.loadBalancer?.ingress ?? []) as { ip?: string }[];
    const external = ingress.map((i) => i.ip).filter(Boolean).join(",") || "<none>";
    const ports = (svc.spec?.ports ?? []).map((p) => `${p.port}${p.nodePort ? `:${p.nodePort}` : ""}/${p.protocol ?? "TCP"}`).join(",") || "<none>";
    return [name(obj), svc.spec?.type ?? "ClusterIP", svc.spec?.clusterIP ?? "<none>", external, ports, age(obj, now), formatLabels(svc.spec?.selector)];
  },
};

const ENDPOINTS: Printer = {
  columns: [NAME, col("Endpoints"), AGE],
  cells(obj, now) {
    const list = ((obj as Endpoints).subsets ?? []).flatMap((s) => (s.addresses ?? []).flatMap((a) => (s.ports?.length ? s.ports.map((p) => `${a.ip}:${p.port}`) : [a.ip])));
    const text = list.length > 3 ? `${list.slice(0, 3).join(",")} + ${list.length - 3} more...` : list.join(",");
    return [name(obj), text || "<none>", age(obj, now)];
  },
};

const NAMESPACE: Printer = {
  columns: [NAME, col("Status"), AGE],
  cells: (obj, now) => [name(obj), (obj.status as { phase?: string } | undefined)?.phase ?? "Active", age(obj, now)],
};

const CONFIG_MAP: Printer = {
  columns: [NAME, col("Data"), AGE],
  cells: (obj, now) => [name(obj), Object.keys((obj.data as object | undefined) ?? {}).length + Object.keys((obj.binaryData as object | undefined) ?? {}).length, age(obj, now)],
};

const SECRET: Printer = {
  columns: [NAME, col("Type"), col("Data"), AGE],
  cells: (obj, now) => [name(obj), String(obj.type ?? ""), Object.keys((obj.data as object | undefined) ?? {}).length, age(obj, now)],
};

const SERVICE_ACCOUNT: Printer = { columns: [NAME, AGE], cells: (obj, now) => [name(obj), age(obj, now)] };

interface EventFields {
  type?: string;
  reason?: string;
  message?: string;
  count?: number;
  firstTimestamp?: string | null;
  lastTimestamp?: string | null;
  eventTime?: string | null;
  series?: { count?: number; lastObservedTime?: string };
  involvedObject?: { kind?: string; name?: string; fieldPath?: string };
  source?: { component?: string; host?: string };
  reportingComponent?: string;
  reportingInstance?: string;
}

const EVENT: Printer = {
  columns: [col("Last Seen"), col("Type"), col("Reason"), col("Object"), wide("Subobject"), wide("Source"), col("Message"), wide("First Seen"), wide("Count"), { ...wide("Name"), format: "name" }],
  cells(obj, now) {
    const e = obj as KObject & EventFields;
    const first = humanAge(e.firstTimestamp || e.eventTime || undefined, now);
    const last = e.series?.lastObservedTime ? humanAge(e.series.lastObservedTime, now) : e.lastTimestamp ? humanAge(e.lastTimestamp, now) : first;
    const count = e.series?.count ?? (e.count || 1);
    const kind = (e.involvedObject?.kind ?? "").toLowerCase();
    const target = e.involvedObject?.name ? `${kind}/${e.involvedObject.name}` : kind;
    const component = e.source?.component || e.reportingComponent || "";
    const instance = e.source?.host || e.reportingInstance || "";
    const source = instance ? `${component}, ${instance}` : component;
    return [last, e.type ?? "", e.reason ?? "", target, e.involvedObject?.fieldPath ?? "", source, (e.message ?? "").trim(), first, count, name(obj)];
  },
};

interface NodeFields {
  spec?: { unschedulable?: boolean };
  status?: {
    conditions?: { type: string; status: string }[];
    addresses?: { type: string; address: string }[];
    nodeInfo?: { kubeletVersion?: string; osImage?: string; kernelVersion?: string; containerRuntimeVersion?: string; architecture?: string };
  };
}

const NODE_ROLE = "node-role.kubernetes.io/";

const NODE: Printer = {
  columns: [NAME, col("Status"), col("Roles"), AGE, col("Version"), wide("Internal-IP"), wide("External-IP"), wide("OS-Image"), wide("Kernel-Version"), wide("Container-Runtime")],
  cells(obj, now) {
    const n = obj as KObject & NodeFields;
    const ready = n.status?.conditions?.find((c) => c.type === "Ready");
    const status = [ready ? (ready.status === "True" ? "Ready" : "NotReady") : "Unknown", ...(n.spec?.unschedulable ? ["SchedulingDisabled"] : [])];
    const labels = obj.metadata.labels ?? {};
    const roles = new Set(Object.keys(labels).filter((k) => k.startsWith(NODE_ROLE) && k.length > NODE_ROLE.length).map((k) => k.slice(NODE_ROLE.length)));
    if (labels["kubernetes.io/role"]) roles.add(labels["kubernetes.io/role"]);
    const address = (type: string) => orNone(n.status?.addresses?.find((a) => a.type === type)?.address);
    const info = n.status?.nodeInfo ?? {};
    const kernel = `${info.kernelVersion || "<unknown>"}${info.architecture ? ` (${info.architecture})` : ""}`;
    return [name(obj), status.join(","), orNone([...roles].sort().join(",")), age(obj, now), info.kubeletVersion ?? "", address("InternalIP"), address("ExternalIP"), info.osImage || "<unknown>", kernel, info.containerRuntimeVersion || "<unknown>"];
  },
};

/** The generic printer of a kind without a printer of its own (CRDs): Name and Created At. */
export const DEFAULT: Printer = {
  columns: [NAME, { name: "Created At", type: "date" }],
  cells: (obj) => [name(obj), obj.metadata.creationTimestamp ?? ""],
};

export const PRINTERS: Record<string, Printer> = {
  "/pods": POD,
  "apps/deployments": DEPLOYMENT,
  "apps/replicasets": REPLICA_SET,
  "/services": SERVICE,
  "/endpoints": ENDPOINTS,
  "/namespaces": NAMESPACE,
  "/configmaps": CONFIG_MAP,
  "/secrets": SECRET,
  "/serviceaccounts": SERVICE_ACCOUNT,
  "/events": EVENT,
  "/nodes": NODE,
};
