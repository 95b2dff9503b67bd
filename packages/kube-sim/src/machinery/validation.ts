/** Field validation helpers with the messages of the real API server. */
import type { FieldError } from "../api/errors.js";
import type { ObjectMeta } from "../kinds.js";
import { isPlainObject } from "./objects.js";

const DNS1123_LABEL = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/;
const DNS1123_SUBDOMAIN = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$/;
const DNS1035_LABEL = /^[a-z]([-a-z0-9]*[a-z0-9])?$/;
const LABEL_VALUE = /^(([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9])?$/;
const QUALIFIED_NAME = /^([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9]$/;
const CONFIG_KEY = /^[-._a-zA-Z0-9]+$/;

export const MSG = {
  subdomain:
    "a lowercase RFC 1123 subdomain must consist of lower case alphanumeric characters, '-' or '.', and must start and end with an alphanumeric character (e.g. 'example.com', regex used for validation is '[a-z0-9]([-a-z0-9]*[a-z0-9])?(\\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*')",
  label:
    "a lowercase RFC 1123 label must consist of lower case alphanumeric characters or '-', and must start and end with an alphanumeric character (e.g. 'my-name',  or '123-abc', regex used for validation is '[a-z0-9]([-a-z0-9]*[a-z0-9])?')",
  dns1035:
    "a DNS-1035 label must consist of lower case alphanumeric characters or '-', start with an alphabetic character, and end with an alphanumeric character (e.g. 'my-name',  or 'abc-123', regex used for validation is '[a-z]([-a-z0-9]*[a-z0-9])?')",
  labelValue:
    "a valid label must be an empty string or consist of alphanumeric characters, '-', '_' or '.', and must start and end with an alphanumeric character (e.g. 'MyValue',  or 'my_value',  or '12345', regex used for validation is '(([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9])?')",
  qualifiedName:
    "name part must consist of alphanumeric characters, '-', '_' or '.', and must start and end with an alphanumeric character (e.g. 'MyName',  or 'my.name',  or '123-abc', regex used for validation is '([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9]')",
  configKey:
    "a valid config key must consist of alphanumeric characters, '-', '_' or '.' (e.g. 'key.name',  or 'KEY_NAME',  or 'key-name', regex used for validation is '[-._a-zA-Z0-9]+')",
};

export type NameRule = "subdomain" | "label" | "dns1035";

/** Checks a name against a DNS rule; returns the error details (empty when valid). */
export function checkName(name: string, rule: NameRule): string[] {
  const problems: string[] = [];
  const max = rule === "subdomain" ? 253 : 63;
  if (name.length > max) problems.push(`must be no more than ${max} characters`);
  const re = rule === "subdomain" ? DNS1123_SUBDOMAIN : rule === "label" ? DNS1123_LABEL : DNS1035_LABEL;
  if (!re.test(name)) problems.push(MSG[rule]);
  return problems;
}

export function nameErrors(field: string, name: string, rule: NameRule): FieldError[] {
  return checkName(name, rule).map((detail) => ({ type: "Invalid", field, value: name, detail }));
}

function labelKeyErrors(field: string, key: string): FieldError[] {
  const slash = key.lastIndexOf("/");
  const prefix = slash >= 0 ? key.slice(0, slash) : "";
  const name = slash >= 0 ? key.slice(slash + 1) : key;
  const errors: FieldError[] = [];
  if (slash >= 0 && checkName(prefix, "subdomain").length > 0) {
    errors.push({ type: "Invalid", field, value: key, detail: `prefix part ${MSG.subdomain}` });
  }
  if (name.length > 63 || !QUALIFIED_NAME.test(name)) errors.push({ type: "Invalid", field, value: key, detail: MSG.qualifiedName });
  return errors;
}

export function labelErrors(field: string, labels: unknown): FieldError[] {
  if (labels === undefined || labels === null) return [];
  if (!isPlainObject(labels)) return [{ type: "Invalid", field, value: labels, detail: "must be a map of strings" }];
  const errors: FieldError[] = [];
  for (const [key, value] of Object.entries(labels)) {
    errors.push(...labelKeyErrors(field, key));
    if (typeof value !== "string" || value.length > 63 || !LABEL_VALUE.test(value)) {
      errors.push({ type: "Invalid", field, value, detail: MSG.labelValue });
    }
  }
  return errors;
}

export function annotationErrors(field: string, annotations: unknown): FieldError[] {
  if (annotations === undefined || annotations === null) return [];
  if (!isPlainObject(annotations)) return [{ type: "Invalid", field, value: annotations, detail: "must be a map of strings" }];
  const errors: FieldError[] = [];
  for (const [key, value] of Object.entries(annotations)) {
    errors.push(...labelKeyErrors(field, key));
    if (typeof value !== "string") errors.push({ type: "Invalid", field: `${field}.${key}`, value, detail: "must be a string" });
  }
  return errors;
}

/** Name, labels and annotations of any object. */
export function metaErrors(meta: ObjectMeta, rule: NameRule): FieldError[] {
  const errors: FieldError[] = [];
  if (!meta.name) errors.push({ type: "Required", field: "metadata.name", detail: "name or generateName is required" });
  else errors.push(...nameErrors("metadata.name", meta.name, rule));
  errors.push(...labelErrors("metadata.labels", meta.labels));
  errors.push(...annotationErrors("metadata.annotations", meta.annotations));
  return errors;
}

export function configKeyErrors(field: string, map: unknown): FieldError[] {
  if (!isPlainObject(map)) return [];
  return Object.keys(map)
    .filter((key) => !CONFIG_KEY.test(key) || key.length > 253)
    .map((key) => ({ type: "Invalid" as const, field: `${field}[${key}]`, value: key, detail: MSG.configKey }));
}

export function portRangeErrors(field: string, port: unknown): FieldError[] {
  if (typeof port === "number" && Number.isInteger(port) && port >= 1 && port <= 65535) return [];
  return [{ type: "Invalid", field, value: port, detail: "must be between 1 and 65535, inclusive" }];
}

export function immutableErrors(field: string, value: unknown, changed: boolean): FieldError[] {
  return changed ? [{ type: "Invalid", field, value, detail: "field is immutable" }] : [];
}

/** An int-or-string value like maxSurge: integer, or a percentage "25%". */
export function resolveIntOrPercent(value: number | string | undefined, total: number, roundUp: boolean, fallback: string): number {
  const v = value ?? fallback;
  if (typeof v === "number") return v;
  const m = /^(\d+)%$/.exec(v);
  if (!m) return Number.parseInt(v, 10) || 0;
  const exact = (Number(m[1]) * total) / 100;
  return roundUp ? Math.ceil(exact) : Math.floor(exact);
}
