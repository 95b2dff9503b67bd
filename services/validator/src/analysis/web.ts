import type { Reading } from "@baton/contracts";
import { fetchText } from "./fetch.js";
import { atJsonPath } from "./json-path.js";

// A web metric: any JSON endpoint, the value picked by `jsonPath`. A non-2xx answer or a body that
// is not JSON is an error; nothing (or null) at the path is no data.

export interface WebCall {
  readonly url: string;
  readonly method: "GET" | "POST";
  readonly headers: Record<string, string>;
  readonly body?: string;
  readonly jsonPath: string;
}

export async function queryWeb(call: WebCall, timeoutMs: number, signal: AbortSignal): Promise<Reading> {
  const url = new URL(call.url);
  const init: RequestInit = { method: call.method, headers: { accept: "application/json", ...call.headers } };
  if (call.body !== undefined) init.body = call.body;
  const answer = await fetchText(url, init, timeoutMs, signal);
  if ("error" in answer) return { kind: "error", error: `${url.origin}: ${answer.error}` };
  if (answer.status < 200 || answer.status > 299) return { kind: "error", error: `${url.origin}${url.pathname} answered HTTP ${answer.status}` };
  let doc: unknown;
  try {
    doc = JSON.parse(answer.body);
  } catch {
    return { kind: "error", error: `${url.origin}${url.pathname} did not answer JSON` };
  }
  const value = atJsonPath(doc, call.jsonPath);
  if (value === undefined || value === null) return { kind: "no-data", why: `nothing at ${call.jsonPath}` };
  return { kind: "value", value };
}
