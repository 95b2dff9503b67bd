/** Namespaces, Secrets, ConfigMaps, Endpoints, Events, ServiceAccounts, Nodes, Leases: small strategies. */
import { badRequest } from "../api/errors.js";
import { EVENTS_V1_FIELDS } from "../events/event-view.js";
import type { KObject } from "../kinds.js";
import { isPlainObject } from "../machinery/objects.js";
import { configKeyErrors } from "../machinery/validation.js";
import type { Strategy } from "./strategy.js";

export const NAMESPACE: Strategy = {
  nameRule: "label",
  fieldLabels: ["status.phase"],
  defaults(obj) {
    const meta = obj.metadata;
    if (meta.name) meta.labels = { ...meta.labels, "kubernetes.io/metadata.name": meta.name };
    const spec = (obj.spec ??= {}) as { finalizers?: string[] };
    spec.finalizers ??= ["kubernetes"];
  },
  initialStatus: () => ({ phase: "Active" }),
};

const BASE64 = /^(?:[A-Za-z0-9+/]{4})*(?:[A-Za-z0-9+/]{2}==|[A-Za-z0-9+/]{3}=)?$/;

function checkBase64(data: unknown): void {
  if (data === undefined || data === null) return;
  if (!isPlainObject(data)) throw badRequest(`Secret in version "v1" cannot be handled as a Secret: json: cannot unmarshal data into Go struct field Secret.data of type map[string][]uint8`);
  for (const value of Object.values(data)) {
    if (typeof value !== "string" || !BASE64.test(value)) {
      throw badRequest(`Secret in version "v1" cannot be handled as a Secret: illegal base64 data at input byte ${firstBadByte(String(value))}`);
    }
  }
}

function firstBadByte(value: string): number {
  const i = value.search(/[^A-Za-z0-9+/=]/);
  return i >= 0 ? i : Math.floor(value.length / 4) * 4;
}

export const SECRET: Strategy = {
  nameRule: "subdomain",
  fieldLabels: ["type"],
  normalize(obj) {
    checkBase64(obj.data);
    const stringData = obj.stringData;
    if (isPlainObject(stringData)) {
      const data = (isPlainObject(obj.data) ? obj.data : {}) as Record<string, string>;
      for (const [key, value] of Object.entries(stringData)) data[key] = Buffer.from(String(value), "utf8").toString("base64");
      obj.data = data;
    }
    delete obj.stringData;
  },
  defaults(obj) {
    obj.type ??= "Opaque";
  },
  validate: (obj) => configKeyErrors("data", obj.data),
};

export const CONFIG_MAP: Strategy = {
  nameRule: "subdomain",
  validate: (obj) => [...configKeyErrors("data", obj.data), ...configKeyErrors("binaryData", obj.binaryData)],
};

export const EVENT: Strategy = {
  nameRule: "subdomain",
  fieldLabels: [
    "involvedObject.kind",
    "involvedObject.namespace",
    "involvedObject.name",
    "involvedObject.uid",
    "involvedObject.apiVersion",
    "involvedObject.resourceVersion",
    "involvedObject.fieldPath",
    "reason",
    "reportingComponent",
    "source",
    "type",
  ],
  fieldPaths: { source: "source.component" },
};

/** Events in the events.k8s.io/v1 view: its own field names select on the stored core fields. */
export const EVENT_V1: Strategy = {
  nameRule: "subdomain",
  fieldLabels: Object.keys(EVENTS_V1_FIELDS),
  fieldPaths: EVENTS_V1_FIELDS,
};

export const NODE: Strategy = {
  nameRule: "subdomain",
  fieldLabels: ["spec.unschedulable"],
  // A kubelet registers its Node with its status (capacity, conditions, addresses): kept on create.
  initialStatus: (obj) => obj.status,
};

/** Stored as given (Endpoints, ServiceAccounts, ...). */
export function plain(): Strategy {
  return { nameRule: "subdomain" };
}

export function hasFinalizers(obj: KObject): boolean {
  return (obj.metadata.finalizers?.length ?? 0) > 0;
}
