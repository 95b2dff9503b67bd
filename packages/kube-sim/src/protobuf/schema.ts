/** The generated descriptor, read once into messages with their fields by number and by JSON name. */
import { DESCRIPTOR } from "./descriptor.js";
import { FORMS, type Descriptor, type JsonForm } from "./types.js";

export type Scalar = "string" | "bytes" | "bool" | "int32" | "int64" | "uint32" | "uint64" | "double" | "float";

export interface Field {
  number: number;
  json: string;
  repeated: boolean;
  inline: boolean;
  /** Omitted from JSON when its value is the zero value (Go omitempty on a non-pointer scalar). */
  omitZero: boolean;
  /** A non-pointer struct in Go: written even when zero (a JSON null is an empty message). */
  struct: boolean;
  /** The value type: a scalar, or a message. */
  scalar?: Scalar;
  message?: Message;
  /** Set for maps: the key's scalar type (the value is `scalar` / `message`). */
  mapKey?: Scalar;
}

export interface Message {
  name: string;
  fields: Field[];
  byNumber: Map<number, Field>;
  /** Set when the Go type marshals its own JSON. */
  form?: JsonForm;
}

export class Schema {
  readonly #messages = new Map<string, Message>();
  readonly #kinds = new Map<string, Message>();

  constructor(readonly descriptor: Descriptor) {
    for (const name of Object.keys(descriptor.messages)) {
      const form = FORMS[name];
      this.#messages.set(name, { name, fields: [], byNumber: new Map(), ...(form ? { form } : {}) });
    }
    for (const [name, tuples] of Object.entries(descriptor.messages)) {
      const msg = this.#messages.get(name) as Message;
      for (const [number, json, type, flags = ""] of tuples) {
        const field: Field = { number, json, repeated: flags.includes("r"), inline: flags.includes("i"), omitZero: flags.includes("z"), struct: flags.includes("s") };
        const map = /^map<(\w+),(.+)>$/.exec(type);
        if (map) field.mapKey = map[1] as Scalar;
        this.#setType(field, map ? (map[2] ?? "") : type, name);
        msg.fields.push(field);
        msg.byNumber.set(number, field);
      }
    }
    for (const [key, name] of Object.entries(descriptor.kinds)) {
      const msg = this.#messages.get(name);
      if (msg) this.#kinds.set(key, msg);
    }
  }

  #setType(field: Field, type: string, owner: string): void {
    if (!type.includes(".")) {
      field.scalar = type as Scalar;
      return;
    }
    const msg = this.#messages.get(type);
    if (!msg) throw new Error(`protobuf descriptor: ${owner} refers to ${type}, which it does not define`);
    field.message = msg;
  }

  message(name: string): Message | undefined {
    return this.#messages.get(name);
  }

  /** The message of a kind (`apps/v1`, `Deployment`), or undefined when it has no protobuf form here. */
  kind(apiVersion: string, kind: string): Message | undefined {
    return this.#kinds.get(`${apiVersion} ${kind}`);
  }
}

export const SCHEMA = new Schema(DESCRIPTOR);
