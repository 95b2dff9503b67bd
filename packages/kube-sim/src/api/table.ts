/**
 * `meta.k8s.io/v1` Table answers, which kubectl asks for (`Accept: application/json;as=Table;…`)
 * to print `get` output: the built-in kinds' printers (printers.ts), a custom resource's
 * additionalPrinterColumns.
 */
import type { IncomingMessage } from "node:http";
import type { KObject } from "../kinds.js";
import { DEFAULT, humanAge, NAME, PRINTERS, type Printer } from "./printers.js";
import type { PrinterColumn, ResourceType } from "./resources.js";

/** Does the request ask for a Table (as kubectl get does)? */
export function wantsTable(req: IncomingMessage): boolean {
  const accept = req.headers.accept ?? "";
  return accept.split(",").some((part) => /;\s*as=Table/.test(part) && /;\s*g=meta\.k8s\.io/.test(part));
}

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
      ...withAge.map((c) => (c.jsonPath === ".metadata.creationTimestamp" ? humanAge(obj.metadata.creationTimestamp, now) : atPath(obj, c.jsonPath))),
    ],
  };
}

/** A Table of `objects` as the printer of `rt` shows them. */
export function toTable(rt: ResourceType, objects: KObject[], resourceVersion: string, includeObject: string | null, extra: Record<string, unknown> = {}): unknown {
  const printer = PRINTERS[rt.rkey] ?? (rt.isCustom ? customPrinter(rt.printerColumns ?? []) : DEFAULT);
  const now = Date.now();
  const columnDefinitions = printer.columns.map((c) => ({ name: c.name, type: c.type, format: c.format ?? "", description: c.description ?? "", priority: c.priority ?? 0 }));
  const rows = objects.map((o) => {
    const object = rowObject(o, includeObject);
    return { cells: printer.cells(rt.view ? rt.view.write(o) : o, now), ...(object ? { object } : {}) };
  });
  return { kind: "Table", apiVersion: "meta.k8s.io/v1", metadata: { resourceVersion, ...extra }, columnDefinitions, rows };
}
