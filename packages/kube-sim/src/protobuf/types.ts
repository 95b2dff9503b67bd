/** The shape of the generated protobuf descriptor, and the messages whose JSON form is not an object of their fields. */

/**
 * One field: [number, JSON name ("" when inline), type, flags]. The type is a scalar (`string`,
 * `int32`, `bytes`, …), a message's full name, or `map<key,value>`. Flags: `r` repeated, `i` inline
 * (its fields sit in the parent's JSON object), `z` omitted from JSON when zero (Go `omitempty` on a
 * non-pointer scalar, or `omitzero`), `s` a non-pointer struct (Go writes it even when zero, so a
 * JSON null there is an empty message, not an absent one).
 */
export type FieldTuple = [number: number, json: string, type: string, flags?: string];

export interface Descriptor {
  /** The Go modules (and version) the descriptor was generated from. */
  source: string;
  /** `<apiVersion> <kind>` → message full name. */
  kinds: Record<string, string>;
  /** Message full name → its fields, by number. */
  messages: Record<string, FieldTuple[]>;
}

/** How a message with its own JSON marshalling in Go looks in JSON. */
export type JsonForm = "time" | "microtime" | "duration" | "quantity" | "int-or-string" | "raw-extension" | "fields-v1" | "raw-json" | "items" | "schema-or-array" | "schema-or-bool" | "schema-or-string-array";

const META = "k8s.io.apimachinery.pkg.apis.meta.v1";
const EXT = "k8s.io.apiextensions_apiserver.pkg.apis.apiextensions.v1";

/** The messages whose Go types marshal JSON themselves (MarshalJSON), or are named slices. */
export const FORMS: Readonly<Record<string, JsonForm>> = {
  [`${META}.Time`]: "time",
  [`${META}.MicroTime`]: "microtime",
  [`${META}.Duration`]: "duration",
  [`${META}.FieldsV1`]: "fields-v1",
  [`${META}.Verbs`]: "items",
  "k8s.io.apimachinery.pkg.api.resource.Quantity": "quantity",
  "k8s.io.apimachinery.pkg.util.intstr.IntOrString": "int-or-string",
  "k8s.io.apimachinery.pkg.runtime.RawExtension": "raw-extension",
  [`${EXT}.JSON`]: "raw-json",
  [`${EXT}.JSONSchemaPropsOrArray`]: "schema-or-array",
  [`${EXT}.JSONSchemaPropsOrBool`]: "schema-or-bool",
  [`${EXT}.JSONSchemaPropsOrStringArray`]: "schema-or-string-array",
};
