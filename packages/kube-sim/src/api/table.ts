/**
 * `meta.k8s.io/v1` Table answers, which kubectl asks for (`Accept: application/json;as=Table;…`)
 * to print `get` output: the columns a real API server prints for the kinds Baton uses, and
 * Name / Age for the others.
 */
import type { IncomingMessage } from "node:http";
import type { Deployment, KObject, Pod, ReplicaSet, Service } from "../kinds.js";
import type { Endpoints } from "../kinds.js";
import type { PrinterColumn, ResourceType } from "./resources.js";

interface Column {
  name: string;
  type: string;
  format?: string;
  description?: string;
  priority?: number;
}

type Cells = (string | number)[];

interface Printer {
  columns: Column[];
  cells(obj: KObject, now: number): Cells;
}

/** Does the request ask for a Table (as kubectl get does)? */
export function wantsTable(req: IncomingMessage): boolean {
  const accept = req.headers.accept ?? "";
  return accept.split(",").some((part) => /;\s*as=Table/.test(part) && /;\s*g=meta\.k8s\.io/.test(part));
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

const NAME: Column = { name: "Name", type: "string", format: "name" };
const AGE: Column = { name: "Age", type: "string" };
const col = (name: string, type = "string"): Column => ({ name, type });
const age = (o: KObject, now: number) => humanAge(o.metadata.creationTimestamp, now);

function podStatus(pod: Pod): string {
  if (pod.metadata.deletionTimestamp) return "Terminating";
  for (const cs of pod.status?.containerStatuses ?? []) {
    const waiting = cs.state.waiting as { reason?: string } | undefined;
    if (waiting?.reason) return waiting.reason;
  }
  return pod.status?.phase ?? "Pending";
}

const POD: Printer = {
  columns: [NAME, col("Ready"), col("Status"), col("Restarts", "integer"), AGE],
  cells(obj, now) {
    const pod = obj as Pod;
    const statuses = pod.status?.containerStatuses ?? [];
    const ready = statuses.filter((c) => c.ready).length;
    const restarts = statuses.reduce((n, c) => n + (c.restartCount ?? 0), 0);
    return [obj.metadata.name ?? "", `${ready}/${pod.spec?.containers?.length ?? 0}`, podStatus(pod), restarts, age(obj, now)];
  },
};

const DEPLOYMENT: Printer = {
  columns: [NAME, col("Ready"), col("Up-to-date", "integer"), col("Available", "integer"), AGE],
  cells(obj, now) {
    const d = obj as Deployment;
    const s = d.status ?? {};
    return [obj.metadata.name ?? "", `${s.readyReplicas ?? 0}/${d.spec?.replicas ?? 0}`, s.updatedReplicas ?? 0, s.availableReplicas ?? 0, age(obj, now)];
  },
};

const REPLICA_SET: Printer = {
  columns: [NAME, col("Desired", "integer"), col("Current", "integer"), col("Ready", "integer"), AGE],
  cells(obj, now) {
    const rs = obj as ReplicaSet;
    return [obj.metadata.name ?? "", rs.spec?.replicas ?? 0, rs.status?.replicas ?? 0, rs.status?.readyReplicas ?? 0, age(obj, now)];
  },
};

const SERVICE: Printer = {
  columns: [NAME, col("Type"), col("Cluster-IP"), col("External-IP"), col("Port(s)"), AGE],
  cells(obj, now) {
    const svc = obj as Service;
    const ingress = (svc.status?.loadBalancer?.ingress ?? []) as { ip?: string }[];
    const external = ingress.map((i) => i.ip).filter(Boolean).join(",") || "<none>";
    const ports = (svc.spec?.ports ?? []).map((p) => `${p.port}${p.nodePort ? `:${p.nodePort}` : ""}/${p.protocol ?? "TCP"}`).join(",") || "<none>";
    return [obj.metadata.name ?? "", svc.spec?.type ?? "ClusterIP", svc.spec?.clusterIP ?? "<none>", external, ports, age(obj, now)];
  },
};

const ENDPOINTS: Printer = {
  columns: [NAME, col("Endpoints"), AGE],
  cells(obj, now) {
    const list = ((obj as Endpoints).subsets ?? []).flatMap((s) => (s.addresses ?? []).flatMap((a) => (s.ports?.length ? s.ports.map((p) => `${a.ip}:${p.port}`) : [a.ip])));
    const text = list.length > 3 ? `${list.slice(0, 3).join(",")} + ${list.length - 3} more...` : list.join(",");
    return [obj.metadata.name ?? "", text || "<none>", age(obj, now)];
  },
};

const NAMESPACE: Printer = {
  columns: [NAME, col("Status"), AGE],
  cells: (obj, now) => [obj.metadata.name ?? "", ((obj.status as { phase?: string } | undefined)?.phase ?? "Active"), age(obj, now)],
};

const DEFAULT: Printer = { columns: [NAME, AGE], cells: (obj, now) => [obj.metadata.name ?? "", age(obj, now)] };

const PRINTERS: Record<string, Printer> = {
  "/pods": POD,
  "apps/deployments": DEPLOYMENT,
  "apps/replicasets": REPLICA_SET,
  "/services": SERVICE,
  "/endpoints": ENDPOINTS,
  "/namespaces": NAMESPACE,
};

function rowObject(obj: KObject, includeObject: string | null): unknown {
  if (includeObject === "Object") return obj;
  if (includeObject === "None") return undefined;
  return { kind: "PartialObjectMetadata", apiVersion: "meta.k8s.io/v1", metadata: obj.metadata };
}

/**
 * The value at a CRD column's jsonPath: the simple `.a.b.c` form CRDs use (`.spec.app`,
 * `.status.phase`); other JSONPath forms print as empty.
 */
function atPath(obj: unknown, jsonPath: string): string | number {
  if (!/^(\.[A-Za-z0-9_-]+)+$/.test(jsonPath)) return "";
  let v: unknown = obj;
  for (const key of jsonPath.slice(1).split(".")) {
    if (typeof v !== "object" || v === null) return "";
    v = (v as Record<string, unknown>)[key];
  }
  if (v === undefined || v === null) return "";
  return typeof v === "number" ? v : typeof v === "string" ? v : JSON.stringify(v);
}

/** A custom resource's printer: Name, its additionalPrinterColumns, Age (as the API server prints). */
function customPrinter(columns: readonly PrinterColumn[]): Printer {
  const withAge = columns.some((c) => c.jsonPath === ".metadata.creationTimestamp") ? columns : [...columns, { name: "Age", type: "date", jsonPath: ".metadata.creationTimestamp" }];
  return {
    columns: [NAME, ...withAge.map((c) => ({ name: c.name, type: c.type, format: c.format ?? "", description: c.description ?? "", priority: c.priority ?? 0 }))],
    cells: (obj, now) => [
      obj.metadata.name ?? "",
      ...withAge.map((c) => (c.jsonPath === ".metadata.creationTimestamp" ? age(obj, now) : atPath(obj, c.jsonPath))),
    ],
  };
}

/** A Table of `objects` as the printer of `rt` shows them. */
export function toTable(rt: ResourceType, objects: KObject[], resourceVersion: string, includeObject: string | null, extra: Record<string, unknown> = {}): unknown {
  const printer = PRINTERS[rt.rkey] ?? (rt.printerColumns?.length ? customPrinter(rt.printerColumns) : DEFAULT);
  const now = Date.now();
  const columnDefinitions = printer.columns.map((c) => ({ name: c.name, type: c.type, format: c.format ?? "", description: c.description ?? "", priority: c.priority ?? 0 }));
  const rows = objects.map((o) => {
    const object = rowObject(o, includeObject);
    return { cells: printer.cells(o, now), ...(object ? { object } : {}) };
  });
  return { kind: "Table", apiVersion: "meta.k8s.io/v1", metadata: { resourceVersion, ...extra }, columnDefinitions, rows };
}
