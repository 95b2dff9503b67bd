/**
 * The Kubernetes protobuf envelope: the magic `k8s\0`, then a runtime.Unknown message
 * (typeMeta {apiVersion 1, kind 2} = 1, raw = 2, contentEncoding = 3, contentType = 4) whose raw
 * is the object's own message. Watch streams frame each event with a 4-byte big-endian length.
 */
import { Reader, WIRE, WireError, Writer } from "./wire.js";

export const MAGIC = Buffer.from("k8s\0", "latin1");

export interface Unknown {
  apiVersion: string;
  kind: string;
  raw: Buffer;
}

export function hasMagic(buf: Buffer): boolean {
  return buf.length >= 4 && buf.subarray(0, 4).equals(MAGIC);
}

/** Wraps an object's message in the envelope, with the four fields written as Go writes them. */
export function wrap(apiVersion: string, kind: string, raw: Uint8Array): Buffer {
  const typeMeta = new Writer();
  typeMeta.tag(1, WIRE.bytes);
  typeMeta.string(apiVersion);
  typeMeta.tag(2, WIRE.bytes);
  typeMeta.string(kind);
  const w = new Writer();
  w.raw(MAGIC);
  w.tag(1, WIRE.bytes);
  w.bytes(typeMeta.finish());
  w.tag(2, WIRE.bytes);
  w.bytes(raw);
  w.tag(3, WIRE.bytes);
  w.string("");
  w.tag(4, WIRE.bytes);
  w.string("");
  return w.finish();
}

function readTypeMeta(r: Reader, out: Unknown): void {
  while (!r.done) {
    const [field, wire] = r.tag();
    if (field === 1 && wire === WIRE.bytes) out.apiVersion = r.bytes().toString("utf8");
    else if (field === 2 && wire === WIRE.bytes) out.kind = r.bytes().toString("utf8");
    else r.skip(wire);
  }
}

/** Reads the envelope; a WireError when the data does not start with the magic or is cut short. */
export function unwrap(buf: Buffer): Unknown {
  if (!hasMagic(buf)) throw new WireError(`provided data does not appear to be a protobuf message, expected prefix [107 56 115 0]`);
  const out: Unknown = { apiVersion: "", kind: "", raw: Buffer.alloc(0) };
  const r = new Reader(buf, 4);
  while (!r.done) {
    const [field, wire] = r.tag();
    if (field === 1 && wire === WIRE.bytes) {
      const [start, end] = r.sub();
      readTypeMeta(new Reader(buf, start, end), out);
    } else if (field === 2 && wire === WIRE.bytes) out.raw = r.bytes();
    else r.skip(wire);
  }
  return out;
}

/** One length-prefixed frame of a protobuf watch stream. */
export function frame(message: Uint8Array): Buffer {
  const out = Buffer.allocUnsafe(4 + message.length);
  out.writeUInt32BE(message.length, 0);
  out.set(message, 4);
  return out;
}

/** Splits a stream's bytes into whole frames; the rest waits for more data. */
export function unframe(buf: Buffer): { frames: Buffer[]; rest: Buffer } {
  const frames: Buffer[] = [];
  let pos = 0;
  while (buf.length - pos >= 4) {
    const length = buf.readUInt32BE(pos);
    if (buf.length - pos - 4 < length) break;
    frames.push(buf.subarray(pos + 4, pos + 4 + length));
    pos += 4 + length;
  }
  return { frames, rest: buf.subarray(pos) };
}
