/**
 * JSON objects to and from Kubernetes protobuf, driven by the generated descriptor: the wire form a
 * Go client or API server writes (proto2: every field present in the JSON is written, zeros
 * included), and the JSON Go's encoding/json would print for a decoded message.
 */
import { frame, hasMagic, unwrap, wrap } from "./envelope.js";
import { FormError, fromFields, toFields } from "./forms.js";
import { SCHEMA, type Field, type Message, type Scalar } from "./schema.js";
import { Reader, WIRE, WireError, Writer } from "./wire.js";

/** A value that does not fit its field (encoding), or bytes that are not the message they claim (decoding). */
export class CodecError extends Error {
  override readonly name = "CodecError";
}

type Json = Record<string, unknown>;

const WIRE_OF: Record<Scalar, number> = { string: WIRE.bytes, bytes: WIRE.bytes, bool: WIRE.varint, int32: WIRE.varint, int64: WIRE.varint, uint32: WIRE.varint, uint64: WIRE.varint, double: WIRE.fixed64, float: WIRE.fixed32 };

function isObject(v: unknown): v is Json {
  return typeof v === "object" && v !== null && !Array.isArray(v);
}

function describe(v: unknown): string {
  return Array.isArray(v) ? "an array" : v === null ? "null" : typeof v === "object" ? "an object" : `${typeof v} ${JSON.stringify(v)}`;
}

function writeScalar(w: Writer, type: Scalar, v: unknown, path: string): void {
  switch (type) {
    case "string":
      if (typeof v !== "string") throw new CodecError(`${path}: expected a string, got ${describe(v)}`);
      return w.string(v);
    case "bytes":
      if (Buffer.isBuffer(v)) return w.bytes(v);
      if (typeof v !== "string") throw new CodecError(`${path}: expected base64 data, got ${describe(v)}`);
      return w.bytes(Buffer.from(v, "base64"));
    case "bool":
      if (typeof v !== "boolean") throw new CodecError(`${path}: expected a boolean, got ${describe(v)}`);
      return w.varint(v ? 1 : 0);
    case "double":
    case "float":
      if (typeof v !== "number") throw new CodecError(`${path}: expected a number, got ${describe(v)}`);
      return w.double(v);
    default:
      if (typeof v !== "number" || !Number.isInteger(v)) throw new CodecError(`${path}: expected an integer, got ${describe(v)}`);
      return w.varint(v);
  }
}

function writeValue(w: Writer, f: Field, v: unknown, path: string): void {
  if (f.message) {
    w.tag(f.number, WIRE.bytes);
    w.bytes(encodeMessage(f.message, v, path));
    return;
  }
  const scalar = f.scalar as Scalar;
  if (scalar === "float") throw new CodecError(`${path}: float fields are not supported`);
  w.tag(f.number, WIRE_OF[scalar]);
  writeScalar(w, scalar, v, path);
}

function writeMap(w: Writer, f: Field, v: unknown, path: string): void {
  if (!isObject(v)) throw new CodecError(`${path}: expected an object, got ${describe(v)}`);
  for (const [key, value] of Object.entries(v)) {
    const entry = new Writer();
    const keyType = f.mapKey as Scalar;
    entry.tag(1, WIRE_OF[keyType]);
    writeScalar(entry, keyType, keyType === "string" ? key : Number(key), `${path}[${key}]`);
    if (value !== null && value !== undefined) writeValue(entry, { ...f, number: 2 }, value, `${path}[${key}]`);
    w.tag(f.number, WIRE.bytes);
    w.bytes(entry.finish());
  }
}

/** A message's bytes (no envelope) from its JSON value. */
export function encodeMessage(msg: Message, value: unknown, path = ""): Buffer {
  let obj: unknown = value;
  if (msg.form) {
    try {
      obj = toFields(msg.form, value);
    } catch (err) {
      if (err instanceof FormError) throw new CodecError(`${path}: ${err.message}`, { cause: err });
      throw err;
    }
  }
  if (!isObject(obj)) throw new CodecError(`${path}: expected an object, got ${describe(obj)}`);
  const w = new Writer();
  for (const f of msg.fields) {
    const v = f.inline ? obj : obj[f.json];
    if (v === undefined) continue;
    if (v === null) {
      // Go writes a zero non-pointer struct (a zero Time prints as null) as an empty message.
      if (f.struct) {
        w.tag(f.number, WIRE.bytes);
        w.varint(0);
      }
      continue;
    }
    const at = f.inline ? path : path ? `${path}.${f.json}` : f.json;
    if (f.mapKey) writeMap(w, f, v, at);
    else if (f.repeated) {
      if (!Array.isArray(v)) throw new CodecError(`${at}: expected an array, got ${describe(v)}`);
      v.forEach((item, i) => writeValue(w, f, item ?? (f.message ? {} : item), `${at}[${i}]`));
    } else writeValue(w, f, v, at);
  }
  return w.finish();
}

function readScalar(r: Reader, type: Scalar, wire: number, raw: boolean): unknown {
  switch (type) {
    case "string":
      return r.bytes().toString("utf8");
    case "bytes": {
      const b = r.bytes();
      return raw ? Buffer.from(b) : b.toString("base64");
    }
    case "bool":
      return r.varint() !== 0;
    case "int32":
      return r.varint(32);
    case "int64":
      return r.varint(64);
    case "double":
      return wire === WIRE.fixed32 ? r.float() : r.double();
    case "float":
      return r.float();
    default:
      return r.varint();
  }
}

function readValue(r: Reader, f: Field, wire: number, raw: boolean): unknown {
  if (f.message) {
    if (wire !== WIRE.bytes) throw new CodecError(`field ${f.json || f.number}: wire type ${wire} for a message`);
    const [start, end] = r.sub();
    return decodeMessage(f.message, r.buf, start, end);
  }
  return readScalar(r, f.scalar as Scalar, wire, raw);
}

function readMapEntry(r: Reader, f: Field, raw: boolean): [string, unknown] {
  const [start, end] = r.sub();
  const entry = new Reader(r.buf, start, end);
  let key: unknown = "";
  let value: unknown;
  while (!entry.done) {
    const [n, wire] = entry.tag();
    if (n === 1) key = readScalar(entry, f.mapKey as Scalar, wire, false);
    else if (n === 2) value = readValue(entry, f, wire, raw);
    else entry.skip(wire);
  }
  if (value === undefined) value = f.message ? decodeMessage(f.message, Buffer.alloc(0)) : zero(f.scalar as Scalar);
  return [String(key), value];
}

function zero(type: Scalar): unknown {
  if (type === "string" || type === "bytes") return "";
  return type === "bool" ? false : 0;
}

/** Go's zero values as they print in JSON (a zero Time prints null). */
function isZero(v: unknown): boolean {
  return v === "" || v === 0 || v === false || v === null;
}

function isPackable(f: Field): boolean {
  return f.scalar !== undefined && f.scalar !== "string" && f.scalar !== "bytes";
}

function readField(r: Reader, f: Field, wire: number, out: Json, raw: boolean): void {
  if (f.mapKey) {
    const [key, value] = readMapEntry(r, f, raw);
    ((out[f.json] ??= {}) as Json)[key] = value;
  } else if (f.repeated) {
    const list = (out[f.json] ??= []) as unknown[];
    if (wire === WIRE.bytes && isPackable(f)) {
      const [start, end] = r.sub();
      const packed = new Reader(r.buf, start, end);
      while (!packed.done) list.push(readScalar(packed, f.scalar as Scalar, WIRE_OF[f.scalar as Scalar], raw));
    } else list.push(readValue(r, f, wire, raw));
  } else if (f.inline) {
    Object.assign(out, readValue(r, f, wire, raw));
  } else {
    out[f.json] = readValue(r, f, wire, raw);
  }
}

/** The JSON value of a message's bytes (no envelope). Unknown fields are skipped. */
export function decodeMessage(msg: Message, buf: Buffer, start = 0, end = buf.length): unknown {
  const r = new Reader(buf, start, end);
  const out: Json = {};
  const raw = msg.form !== undefined;
  while (!r.done) {
    const [n, wire] = r.tag();
    const f = msg.byNumber.get(n);
    if (f) readField(r, f, wire, out, raw);
    else r.skip(wire);
  }
  for (const f of msg.fields) if (f.omitZero && isZero(out[f.json])) delete out[f.json];
  return msg.form ? fromFields(msg.form, out, decodeObject) : out;
}

/** Can objects of this kind be sent in protobuf? (Built-in kinds yes; custom resources and Tables no.) */
export function hasProtobuf(apiVersion: string | undefined, kind: string | undefined): boolean {
  return SCHEMA.kind(apiVersion || "v1", kind ?? "") !== undefined;
}

/** An object (its `apiVersion` and `kind` name the message) in the Kubernetes protobuf envelope. */
export function encodeObject(obj: unknown): Buffer {
  if (!isObject(obj)) throw new CodecError(`expected an object, got ${describe(obj)}`);
  // APIVersions (`/api`) has no apiVersion of its own: its envelope says "" and it is a meta/v1 kind.
  const apiVersion = typeof obj.apiVersion === "string" ? obj.apiVersion : "";
  const kind = typeof obj.kind === "string" ? obj.kind : "";
  const msg = SCHEMA.kind(apiVersion || "v1", kind);
  if (!msg) throw new CodecError(`${apiVersion} ${kind} has no protobuf encoding`);
  return wrap(apiVersion, kind, encodeMessage(msg, obj));
}

/** The JSON object of a protobuf-encoded object, with `apiVersion` and `kind` from its envelope. */
export function decodeObject(buf: Buffer): Json {
  try {
    const unknown = unwrap(buf);
    const msg = SCHEMA.kind(unknown.apiVersion || "v1", unknown.kind);
    if (!msg) throw new CodecError(`no kind "${unknown.kind}" is registered for version "${unknown.apiVersion}"`);
    const typeMeta = unknown.apiVersion ? { apiVersion: unknown.apiVersion, kind: unknown.kind } : { kind: unknown.kind };
    return { ...typeMeta, ...(decodeMessage(msg, unknown.raw) as Json) };
  } catch (err) {
    if (err instanceof WireError) throw new CodecError(err.message, { cause: err });
    throw err;
  }
}

/** Does this body start with the protobuf envelope's magic? */
export { hasMagic };

/**
 * One frame of a protobuf watch stream: the length, then a meta/v1 WatchEvent message (no envelope)
 * whose object is a RawExtension holding the enveloped object, as client-go's watch decoder reads it.
 */
export function encodeWatchEvent(type: string, object: unknown): Buffer {
  const ext = new Writer();
  ext.tag(1, WIRE.bytes);
  ext.bytes(encodeObject(object));
  const w = new Writer();
  w.tag(1, WIRE.bytes);
  w.string(type);
  w.tag(2, WIRE.bytes);
  w.bytes(ext.finish());
  return frame(w.finish());
}

/** A watch frame's event (without its length prefix), its object decoded. */
export function decodeWatchEvent(message: Buffer): { type: string; object: unknown } {
  const msg = SCHEMA.kind("meta.k8s.io/v1", "WatchEvent");
  if (!msg) throw new CodecError("the descriptor has no meta/v1 WatchEvent");
  return decodeMessage(msg, message) as { type: string; object: unknown };
}
