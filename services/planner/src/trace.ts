import { randomBytes } from "node:crypto";

// W3C trace context: every release is one trace. The intake keeps the caller's traceparent
// (from the CloudEvent or the `traceparent` header) and starts a new trace when there is none.

const TRACEPARENT = /^[0-9a-f]{2}-[0-9a-f]{32}-[0-9a-f]{16}-[0-9a-f]{2}$/;
const ZERO_TRACE = "0".repeat(32);
const ZERO_SPAN = "0".repeat(16);

/** True for a well-formed traceparent whose ids are not all zeros (W3C: such ids are invalid). */
export function isTraceparent(value: string | undefined): value is string {
  if (value === undefined || !TRACEPARENT.test(value)) return false;
  const [version, trace, span] = value.split("-");
  return version !== "ff" && trace !== ZERO_TRACE && span !== ZERO_SPAN;
}

/** A new sampled traceparent: version 00, a random trace id and span id. */
export function newTraceparent(): string {
  return `00-${randomBytes(16).toString("hex")}-${randomBytes(8).toString("hex")}-01`;
}

/** The first valid traceparent among the candidates, or a new one. */
export function traceparentOf(...candidates: (string | undefined)[]): string {
  return candidates.find(isTraceparent) ?? newTraceparent();
}
