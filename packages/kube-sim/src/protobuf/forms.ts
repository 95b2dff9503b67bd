/**
 * The JSON forms of the messages whose Go types marshal JSON themselves: each converts between the
 * JSON value and the message's fields (by their proto names), as Go's MarshalJSON/UnmarshalJSON do.
 */
import type { JsonForm } from "./types.js";

export class FormError extends Error {
  override readonly name = "FormError";
}

type Fields = Record<string, unknown>;

/** RFC 3339 (`2006-01-02T15:04:05Z`, or `.000000` microseconds) in UTC, from Unix seconds and nanos. */
function formatTime(seconds: number, nanos: number, micro: boolean): string {
  const base = new Date(seconds * 1000).toISOString().slice(0, 19);
  return micro ? `${base}.${String(Math.floor(nanos / 1000)).padStart(6, "0")}Z` : `${base}Z`;
}

/** RFC 3339 with any fraction (a Time), or with exactly six digits of it (a MicroTime, as Go reads one). */
function parseTime(value: unknown, micro = false): Fields {
  if (typeof value !== "string") throw new FormError(`a time must be an RFC 3339 string, not ${JSON.stringify(value)}`);
  const m = (micro ? /^(\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d)\.(\d{6})(Z|[+-]\d\d:\d\d)$/i : /^(\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d)(?:\.(\d{1,9}))?(Z|[+-]\d\d:\d\d)$/i).exec(value);
  const ms = m ? Date.parse(`${m[1]}${m[3]}`) : Number.NaN;
  if (!m || Number.isNaN(ms)) throw new FormError(`a ${micro ? "MicroTime must be an RFC 3339 string with microseconds" : "time must be an RFC 3339 string"}, not ${JSON.stringify(value)}`);
  const nanos = Number((m[2] ?? "").padEnd(9, "0"));
  return nanos ? { seconds: Math.floor(ms / 1000), nanos } : { seconds: Math.floor(ms / 1000) };
}

const UNITS: [string, number][] = [
  ["h", 3600e9],
  ["m", 60e9],
  ["s", 1e9],
  ["ms", 1e6],
  ["us", 1e3],
  ["µs", 1e3],
  ["μs", 1e3],
  ["ns", 1],
];

/** Go's time.Duration.String(): `1h2m3.5s`, `1.5ms`, `0s`. */
export function formatDuration(ns: number): string {
  if (ns === 0) return "0s";
  const sign = ns < 0 ? "-" : "";
  let rest = Math.abs(ns);
  if (rest < 1e9) {
    const [unit, size] = rest < 1e3 ? ["ns", 1] : rest < 1e6 ? ["µs", 1e3] : ["ms", 1e6];
    return `${sign}${trim(rest / size)}${unit}`;
  }
  let out = "";
  const h = Math.floor(rest / 3600e9);
  rest -= h * 3600e9;
  const m = Math.floor(rest / 60e9);
  rest -= m * 60e9;
  if (h) out += `${h}h`;
  if (h || m) out += `${m}m`;
  return `${sign}${out}${trim(rest / 1e9)}s`;
}

function trim(n: number): string {
  return String(Number(n.toFixed(9)));
}

/** Go's time.ParseDuration: `300ms`, `-1.5h`, `2h45m`. */
export function parseDuration(value: unknown): number {
  if (typeof value !== "string" || !/^[-+]?(\d+(\.\d*)?|\.\d+)[a-zµμ]+/.test(value)) throw new FormError(`a duration must be a Go duration string like "1m30s", not ${JSON.stringify(value)}`);
  const sign = value.startsWith("-") ? -1 : 1;
  let total = 0;
  for (const [, num, unit] of value.replace(/^[-+]/, "").matchAll(/(\d+(?:\.\d*)?|\.\d+)([a-zµμ]+)/g)) {
    const size = UNITS.find(([u]) => u === unit)?.[1];
    if (size === undefined) throw new FormError(`unknown unit "${unit}" in duration ${JSON.stringify(value)}`);
    total += Number(num) * size;
  }
  return sign * Math.round(total);
}

function jsonBytes(value: unknown): Buffer {
  return Buffer.from(JSON.stringify(value));
}

function parseJsonBytes(raw: unknown): unknown {
  if (!Buffer.isBuffer(raw) || raw.length === 0) return null;
  return JSON.parse(raw.toString("utf8"));
}

/** The message fields (by proto name) that carry a JSON value of this form. */
export function toFields(form: JsonForm, value: unknown): Fields {
  switch (form) {
    case "time": {
      // Go writes a Time's seconds only (its JSON has no fraction); a MicroTime keeps its nanos.
      const { seconds } = parseTime(value);
      return { seconds };
    }
    case "microtime":
      return parseTime(value, true);
    case "duration":
      return { duration: parseDuration(value) };
    case "quantity":
      if (typeof value !== "string" && typeof value !== "number") throw new FormError(`a quantity must be a string, not ${JSON.stringify(value)}`);
      return { string: String(value) };
    case "int-or-string":
      if (typeof value === "number") return { type: 0, intVal: value };
      if (typeof value === "string") return { type: 1, strVal: value };
      throw new FormError(`an int-or-string must be a number or a string, not ${JSON.stringify(value)}`);
    case "raw-extension":
    case "raw-json":
      return { raw: jsonBytes(value) };
    case "fields-v1":
      return { Raw: jsonBytes(value) };
    case "items":
      return { items: value };
    case "schema-or-array":
      return Array.isArray(value) ? { jSONSchemas: value } : { schema: value };
    case "schema-or-bool":
      return typeof value === "boolean" ? { allows: value } : { allows: true, schema: value };
    case "schema-or-string-array":
      return Array.isArray(value) ? { property: value } : { schema: value };
  }
}

/**
 * The JSON value of a decoded message of this form. `embedded` decodes a RawExtension that holds a
 * protobuf object (`k8s\0…`) rather than JSON.
 */
export function fromFields(form: JsonForm, f: Fields, embedded: (raw: Buffer) => unknown): unknown {
  switch (form) {
    case "time":
    case "microtime":
      if (f.seconds === undefined && f.nanos === undefined) return null;
      return formatTime(Number(f.seconds ?? 0), Number(f.nanos ?? 0), form === "microtime");
    case "duration":
      return formatDuration(Number(f.duration ?? 0));
    case "quantity":
      return f.string ?? "0";
    case "int-or-string":
      return f.type === 1 ? (f.strVal ?? "") : (f.intVal ?? 0);
    case "raw-extension":
      if (Buffer.isBuffer(f.raw) && f.raw.subarray(0, 4).toString("latin1") === "k8s\0") return embedded(f.raw);
      return parseJsonBytes(f.raw);
    case "raw-json":
      return parseJsonBytes(f.raw);
    case "fields-v1":
      return parseJsonBytes(f.Raw);
    case "items":
      return f.items ?? [];
    case "schema-or-array":
      return Array.isArray(f.jSONSchemas) && f.jSONSchemas.length > 0 ? f.jSONSchemas : (f.schema ?? null);
    case "schema-or-bool":
      return f.schema ?? f.allows === true;
    case "schema-or-string-array":
      return Array.isArray(f.property) && f.property.length > 0 ? f.property : (f.schema ?? null);
  }
}
