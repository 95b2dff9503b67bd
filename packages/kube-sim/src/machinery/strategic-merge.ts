/**
 * Strategic merge patch, `application/strategic-merge-patch+json`, for the built-in kinds.
 * Lists with a merge key (containers by name, ports by containerPort, ...) are merged item by item;
 * other lists are replaced. Directives: `$patch: replace | delete | merge` in maps and list items,
 * `$retainKeys`, `$deleteFromPrimitiveList/<field>`; `$setElementOrder/<field>` is accepted and
 * dropped (items keep the server's order, new items are appended).
 */
import { clone, isPlainObject, type JsonMap } from "./objects.js";

/** Merge strategy of a list: a merge key, or "set" for a list of scalars merged as a set. */
export type ListStrategy = string;

/** Maps a dotted field path (no list indices) to the strategy of the list there. */
export type MergeSchema = ReadonlyMap<string, ListStrategy>;

const POD_SPEC_LISTS: Record<string, string> = {
  containers: "name",
  initContainers: "name",
  ephemeralContainers: "name",
  volumes: "name",
  imagePullSecrets: "name",
  hostAliases: "ip",
  topologySpreadConstraints: "topologyKey",
  "containers.env": "name",
  "containers.ports": "containerPort",
  "containers.volumeMounts": "mountPath",
  "containers.volumeDevices": "devicePath",
  "containers.resizePolicy": "resourceName",
  "initContainers.env": "name",
  "initContainers.ports": "containerPort",
  "initContainers.volumeMounts": "mountPath",
  "initContainers.volumeDevices": "devicePath",
};

const META_LISTS: Record<string, string> = {
  "metadata.ownerReferences": "uid",
  "metadata.finalizers": "set",
};

function podSpecAt(prefix: string): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [path, key] of Object.entries(POD_SPEC_LISTS)) out[`${prefix}.${path}`] = key;
  return out;
}

function schema(...parts: Record<string, string>[]): MergeSchema {
  return new Map(Object.entries(Object.assign({}, META_LISTS, ...parts)));
}

const STATUS_CONDITIONS = { "status.conditions": "type" };

/** Merge schemas by kind. Kinds not listed merge only metadata lists. */
export const MERGE_SCHEMAS: Readonly<Record<string, MergeSchema>> = {
  Pod: schema(podSpecAt("spec"), STATUS_CONDITIONS, { "status.podIPs": "ip" }),
  Deployment: schema(podSpecAt("spec.template.spec"), STATUS_CONDITIONS),
  ReplicaSet: schema(podSpecAt("spec.template.spec"), STATUS_CONDITIONS),
  Service: schema({ "spec.ports": "port" }),
  Namespace: schema(STATUS_CONDITIONS),
  CustomResourceDefinition: schema({ "spec.versions": "name" }, STATUS_CONDITIONS),
};

export const DEFAULT_MERGE_SCHEMA: MergeSchema = schema();

/** The patch is malformed (answered 400 or 422 by the caller). */
export class StrategicMergeError extends Error {
  override readonly name = "StrategicMergeError";
}

const DIRECTIVE = "$patch";
const RETAIN_KEYS = "$retainKeys";
const SET_ORDER = "$setElementOrder/";
const DELETE_FROM_PRIMITIVE = "$deleteFromPrimitiveList/";

function join(path: string, key: string): string {
  return path ? `${path}.${key}` : key;
}

/** A patch value with every `$` directive removed, for inserting where nothing is merged. */
function strip(value: unknown): unknown {
  if (Array.isArray(value)) return value.filter((v) => !(isPlainObject(v) && v[DIRECTIVE] === "delete")).map(strip);
  if (!isPlainObject(value)) return value;
  const out: JsonMap = {};
  for (const [k, v] of Object.entries(value)) {
    if (k.startsWith("$")) continue;
    if (v !== null) out[k] = strip(v);
  }
  return out;
}

function removeFromPrimitiveList(target: JsonMap, field: string, values: unknown): void {
  const current = target[field];
  if (!Array.isArray(current) || !Array.isArray(values)) return;
  target[field] = current.filter((v) => !values.includes(v));
}

function mergeMap(original: JsonMap, patch: JsonMap, path: string, sch: MergeSchema): JsonMap | undefined {
  const directive = patch[DIRECTIVE];
  if (directive === "delete") return undefined;
  if (directive === "replace") return strip(patch) as JsonMap;
  if (directive !== undefined && directive !== "merge") throw new StrategicMergeError(`unknown patch type: ${String(directive)}`);
  const result: JsonMap = { ...original };
  for (const [key, value] of Object.entries(patch)) {
    if (key === DIRECTIVE || key === RETAIN_KEYS || key.startsWith(SET_ORDER)) continue;
    if (key.startsWith(DELETE_FROM_PRIMITIVE)) {
      removeFromPrimitiveList(result, key.slice(DELETE_FROM_PRIMITIVE.length), value);
      continue;
    }
    mergeField(result, key, value, join(path, key), sch);
  }
  const retain = patch[RETAIN_KEYS];
  if (Array.isArray(retain)) {
    for (const key of Object.keys(result)) if (!retain.includes(key)) delete result[key];
  }
  return result;
}

function mergeField(result: JsonMap, key: string, value: unknown, path: string, sch: MergeSchema): void {
  if (value === null) {
    delete result[key];
    return;
  }
  const current = result[key];
  if (isPlainObject(value)) {
    const merged = mergeMap(isPlainObject(current) ? current : {}, value, path, sch);
    if (merged === undefined) delete result[key];
    else result[key] = merged;
  } else if (Array.isArray(value)) {
    result[key] = mergeList(Array.isArray(current) ? current : [], value, path, sch);
  } else {
    result[key] = value;
  }
}

function mergeList(original: unknown[], patch: unknown[], path: string, sch: MergeSchema): unknown[] {
  const strategy = sch.get(path);
  const replace = patch.some((item) => isPlainObject(item) && item[DIRECTIVE] === "replace");
  if (replace) return strip(patch.filter((item) => !(isPlainObject(item) && item[DIRECTIVE] === "replace"))) as unknown[];
  if (strategy === undefined) return strip(patch) as unknown[];
  if (strategy === "set") return mergeSet(original, patch);
  return mergeKeyed(original, patch, strategy, path, sch);
}

function mergeSet(original: unknown[], patch: unknown[]): unknown[] {
  const result = [...original];
  for (const item of patch) if (!result.includes(item)) result.push(item);
  return result;
}

function mergeKeyed(original: unknown[], patch: unknown[], mergeKey: string, path: string, sch: MergeSchema): unknown[] {
  const result = [...original];
  for (const item of patch) {
    if (!isPlainObject(item)) throw new StrategicMergeError(`${path}: list items must be objects with the merge key "${mergeKey}"`);
    const key = item[mergeKey];
    if (key === undefined) throw new StrategicMergeError(`${path}: map: ${JSON.stringify(item)} does not contain declared merge key: ${mergeKey}`);
    const index = result.findIndex((o) => isPlainObject(o) && o[mergeKey] === key);
    if (item[DIRECTIVE] === "delete") {
      if (index >= 0) result.splice(index, 1);
      continue;
    }
    if (index < 0) result.push(strip(item));
    else result[index] = mergeMap(result[index] as JsonMap, item, path, sch) ?? strip(item);
  }
  return result;
}

export function applyStrategicMergePatch(original: unknown, patch: unknown, sch: MergeSchema): unknown {
  if (!isPlainObject(patch)) throw new StrategicMergeError("a strategic merge patch must be a JSON object");
  const base = isPlainObject(original) ? clone(original) : {};
  return mergeMap(base, patch, "", sch) ?? {};
}
