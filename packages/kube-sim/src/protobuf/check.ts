/**
 * A JSON body of a built-in kind checked as a Go API server decodes it: fields its type does not
 * have are found (in document order, as `spec.template.spec.containers[0].bogus`) and removed, and a
 * value of the wrong type is an error naming the field.
 */
import { CodecError, encodeMessage } from "./codec.js";
import { SCHEMA, type Field, type Message } from "./schema.js";

type Json = Record<string, unknown>;

function isObject(v: unknown): v is Json {
  return typeof v === "object" && v !== null && !Array.isArray(v);
}

const KEYS = new WeakMap<Message, Map<string, Field>>();

/** The JSON keys of a message, with the fields of its inline members at its own level. */
function keysOf(msg: Message): Map<string, Field> {
  let keys = KEYS.get(msg);
  if (keys) return keys;
  keys = new Map();
  for (const f of msg.fields) {
    if (f.inline && f.message) for (const [k, inner] of keysOf(f.message)) keys.set(k, inner);
    else keys.set(f.json, f);
  }
  KEYS.set(msg, keys);
  return keys;
}

function prune(msg: Message, obj: unknown, path: string, unknown: string[], top = false): void {
  if (msg.form || !isObject(obj)) return;
  const keys = keysOf(msg);
  for (const key of Object.keys(obj)) {
    const at = path ? `${path}.${key}` : key;
    const f = keys.get(key);
    if (!f) {
      if (top && (key === "apiVersion" || key === "kind")) continue;
      unknown.push(at);
      delete obj[key];
      continue;
    }
    const v = obj[key];
    if (!f.message || v === null || v === undefined) continue;
    const inner = f.message;
    if (f.mapKey) {
      if (isObject(v)) for (const [k, item] of Object.entries(v)) prune(inner, item, `${at}[${k}]`, unknown);
    } else if (f.repeated) {
      if (Array.isArray(v)) v.forEach((item, i) => prune(inner, item, `${at}[${i}]`, unknown));
    } else prune(inner, v, at, unknown);
  }
}

/**
 * Removes the unknown fields of an object of a built-in kind, in place, and returns their paths;
 * throws a CodecError naming a field whose value has the wrong type. Undefined for other kinds.
 */
export function checkObject(apiVersion: string, kind: string, obj: unknown): string[] | undefined {
  const msg = SCHEMA.kind(apiVersion, kind);
  if (!msg) return undefined;
  const unknown: string[] = [];
  prune(msg, obj, "", unknown, true);
  encodeMessage(msg, obj);
  return unknown;
}

export { CodecError };
