/** Kubernetes protobuf for the built-in kinds: the envelope, objects, watch frames. */
export { CodecError, decodeMessage, decodeObject, decodeWatchEvent, encodeMessage, encodeObject, encodeWatchEvent, hasMagic, hasProtobuf } from "./codec.js";
export { frame, MAGIC, unframe, unwrap, wrap } from "./envelope.js";
export { SCHEMA } from "./schema.js";
export { normalizeObject } from "./normalize.js";
export { checkObject } from "./check.js";
