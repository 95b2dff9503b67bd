/**
 * The JSON a Go API server keeps of a JSON object: it decodes into Go structs and prints them again,
 * so the zero value of an `omitempty` scalar (`"value": ""`, `"initialDelaySeconds": 0`) and a zero
 * `omitzero` Time are gone, and times are printed again (whole seconds in UTC for a Time, microseconds
 * for a MicroTime). kube-sim stores JSON as it comes; this makes it store what a real server would,
 * so a JSON write and a protobuf write of one object store the same thing.
 */
import { fromFields, toFields } from "./forms.js";
import { SCHEMA, type Message } from "./schema.js";

type Json = Record<string, unknown>;

function isObject(v: unknown): v is Json {
  return typeof v === "object" && v !== null && !Array.isArray(v);
}

function isZero(v: unknown): boolean {
  return v === "" || v === 0 || v === false || v === null;
}

function normalizeValue(msg: Message, v: unknown): void {
  if (Array.isArray(v)) for (const item of v) normalizeMessage(msg, item);
  else normalizeMessage(msg, v);
}

/** A time as Go prints it after reading it; a value it cannot read stays as it is (field checks refuse it). */
function canonicalTime(form: "time" | "microtime", v: string): unknown {
  try {
    return fromFields(form, toFields(form, v), () => null);
  } catch {
    return v;
  }
}

/** Drops, in place, what Go's JSON printing of this message would leave out. */
export function normalizeMessage(msg: Message, obj: unknown): void {
  if (msg.form || !isObject(obj)) return;
  for (const f of msg.fields) {
    if (f.inline) {
      if (f.message) normalizeMessage(f.message, obj);
      continue;
    }
    if (!(f.json in obj)) continue;
    const v = obj[f.json];
    if (f.omitZero && isZero(v)) {
      delete obj[f.json];
      continue;
    }
    if (!f.message) continue;
    if ((f.message.form === "time" || f.message.form === "microtime") && typeof v === "string" && !f.repeated) {
      obj[f.json] = canonicalTime(f.message.form, v);
      continue;
    }
    if (f.mapKey) {
      if (isObject(v)) for (const item of Object.values(v)) normalizeMessage(f.message, item);
    } else normalizeValue(f.message, v);
  }
}

/** Normalizes an object of a built-in kind in place; objects of other kinds are left alone. */
export function normalizeObject(apiVersion: string, kind: string, obj: unknown): void {
  const msg = SCHEMA.kind(apiVersion, kind);
  if (msg) normalizeMessage(msg, obj);
}
