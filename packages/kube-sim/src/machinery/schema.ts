/**
 * The structural-schema subset of a CRD's openAPIV3Schema: pruning of unknown fields, defaults,
 * and validation of type, required, enum, bounds, lengths and patterns.
 */
import type { FieldError } from "../api/errors.js";
import type { JsonSchemaProps } from "../kinds.js";
import { clone, isPlainObject } from "./objects.js";

const ROOT_KEYS = new Set(["apiVersion", "kind", "metadata"]);

function childSchema(schema: JsonSchemaProps, key: string): JsonSchemaProps | undefined {
  const prop = schema.properties?.[key];
  if (prop) return prop;
  return isPlainObject(schema.additionalProperties) ? (schema.additionalProperties as JsonSchemaProps) : undefined;
}

function keepsUnknown(schema: JsonSchemaProps): boolean {
  return schema["x-kubernetes-preserve-unknown-fields"] === true || schema.additionalProperties === true || schema["x-kubernetes-embedded-resource"] === true;
}

/** Where a walk is and what it does: the JSON path so far, the pruned paths, whether to fill defaults. */
interface Walk {
  path: string;
  pruned?: string[];
  defaults: boolean;
}

const at = (w: Walk, key: string): Walk => ({ ...w, path: w.path ? `${w.path}.${key}` : key });

function pruneValue(value: unknown, schema: JsonSchemaProps | undefined, w: Walk): void {
  if (!schema) return;
  if (Array.isArray(value)) {
    value.forEach((item, i) => pruneValue(item, schema.items, { ...w, path: `${w.path}[${i}]` }));
    return;
  }
  if (!isPlainObject(value)) return;
  for (const key of Object.keys(value)) {
    const child = childSchema(schema, key);
    if (child) pruneValue(value[key], child, at(w, key));
    else if (!keepsUnknown(schema) && (schema.properties || schema.additionalProperties !== undefined || schema.type === "object")) {
      w.pruned?.push(at(w, key).path);
      delete value[key];
    }
  }
  if (!w.defaults) return;
  for (const [key, prop] of Object.entries(schema.properties ?? {})) {
    if (value[key] === undefined && prop.default !== undefined) value[key] = clone(prop.default);
  }
}

function pruneRoot(obj: Record<string, unknown>, schema: JsonSchemaProps, w: Walk): void {
  for (const key of Object.keys(obj)) {
    if (ROOT_KEYS.has(key)) continue;
    const child = childSchema(schema, key);
    if (child) pruneValue(obj[key], child, at(w, key));
    else if (!keepsUnknown(schema)) {
      w.pruned?.push(key);
      delete obj[key];
    }
  }
  if (!w.defaults) return;
  for (const [key, prop] of Object.entries(schema.properties ?? {})) {
    if (!ROOT_KEYS.has(key) && obj[key] === undefined && prop.default !== undefined) obj[key] = clone(prop.default);
  }
}

/** Drops fields the schema does not know (except apiVersion, kind, metadata) and fills defaults. */
export function pruneAndDefault(obj: Record<string, unknown>, schema: JsonSchemaProps): void {
  pruneRoot(obj, schema, { path: "", defaults: true });
}

/** Drops the fields the schema does not know and returns their paths, sorted (as the real server lists them). */
export function pruneUnknown(obj: Record<string, unknown>, schema: JsonSchemaProps): string[] {
  const pruned: string[] = [];
  pruneRoot(obj, schema, { path: "", pruned, defaults: false });
  return pruned.sort();
}

function typeOf(value: unknown): string {
  if (value === null) return "null";
  if (Array.isArray(value)) return "array";
  if (typeof value === "number") return Number.isInteger(value) ? "integer" : "number";
  return typeof value;
}

function typeMatches(value: unknown, schema: JsonSchemaProps): boolean {
  const actual = typeOf(value);
  if (schema["x-kubernetes-int-or-string"]) return actual === "integer" || actual === "string";
  if (!schema.type) return true;
  if (schema.type === "number") return actual === "number" || actual === "integer";
  return actual === schema.type;
}

function boundErrors(field: string, value: unknown, schema: JsonSchemaProps): FieldError[] {
  const errors: FieldError[] = [];
  const add = (detail: string) => errors.push({ type: "Invalid", field, value, detail });
  if (typeof value === "number") {
    if (schema.minimum !== undefined && value < schema.minimum) add(`should be greater than or equal to ${schema.minimum}`);
    if (schema.maximum !== undefined && value > schema.maximum) add(`should be less than or equal to ${schema.maximum}`);
  }
  if (typeof value === "string") {
    if (schema.minLength !== undefined && value.length < schema.minLength) add(`should be at least ${schema.minLength} chars long`);
    if (schema.maxLength !== undefined && value.length > schema.maxLength) add(`may not be more than ${schema.maxLength} chars long`);
    if (schema.pattern && !new RegExp(schema.pattern, "u").test(value)) add(`should match '${schema.pattern}'`);
  }
  if (Array.isArray(value)) {
    if (schema.minItems !== undefined && value.length < schema.minItems) add(`should have at least ${schema.minItems} items`);
    if (schema.maxItems !== undefined && value.length > schema.maxItems) add(`must have at most ${schema.maxItems} items`);
  }
  return errors;
}

function valueErrors(field: string, value: unknown, schema: JsonSchemaProps): FieldError[] {
  if (value === null && schema.nullable) return [];
  if (!typeMatches(value, schema)) {
    return [{ type: "Invalid", field, value, detail: `${field} in body must be of type ${schema.type ?? "int-or-string"}: "${typeOf(value)}"` }];
  }
  if (schema.enum && !schema.enum.some((e) => JSON.stringify(e) === JSON.stringify(value))) {
    return [{ type: "NotSupported", field, value, detail: `supported values: ${schema.enum.map((e) => JSON.stringify(e)).join(", ")}` }];
  }
  const errors = boundErrors(field, value, schema);
  if (Array.isArray(value) && schema.items) value.forEach((item, i) => errors.push(...valueErrors(`${field}[${i}]`, item, schema.items as JsonSchemaProps)));
  if (isPlainObject(value)) errors.push(...objectErrors(field, value, schema));
  return errors;
}

function objectErrors(field: string, value: Record<string, unknown>, schema: JsonSchemaProps): FieldError[] {
  const errors: FieldError[] = [];
  for (const key of schema.required ?? []) {
    if (value[key] === undefined) errors.push({ type: "Required", field: field ? `${field}.${key}` : key });
  }
  for (const [key, child] of Object.entries(value)) {
    if (!field && ROOT_KEYS.has(key)) continue;
    const sub = childSchema(schema, key);
    if (sub && child !== undefined) errors.push(...valueErrors(field ? `${field}.${key}` : key, child, sub));
  }
  return errors;
}

/** Errors of a custom object against its version's schema. */
export function schemaErrors(obj: Record<string, unknown>, schema: JsonSchemaProps): FieldError[] {
  return objectErrors("", obj, schema);
}
