import type { Reading, Value } from "@baton/contracts";
import { fetchText } from "./fetch.js";

// A Prometheus instant query (GET /api/v1/query): a vector is the list of its samples' values
// (`result[0]`, or `result` when it has one sample), a scalar its value. No data — an empty vector,
// or only NaN (a ratio over a window with no traffic, 0/0) — is its own reading, judged by
// `noDataIs`, never a hang and never an error. A range vector is an error that says what to write.

interface PromAnswer {
  readonly status?: string;
  readonly error?: string;
  readonly errorType?: string;
  readonly data?: { readonly resultType?: string; readonly result?: unknown };
}

export async function queryPrometheus(address: string, query: string, timeoutMs: number, signal: AbortSignal): Promise<Reading> {
  const url = new URL("api/v1/query", address.endsWith("/") ? address : `${address}/`);
  url.searchParams.set("query", query);
  url.searchParams.set("timeout", `${Math.max(1, Math.floor(timeoutMs / 1000))}s`);
  const answer = await fetchText(url, { method: "GET" }, timeoutMs, signal);
  if ("error" in answer) return { kind: "error", error: `Prometheus at ${url.origin}: ${answer.error}` };
  let body: PromAnswer;
  try {
    body = JSON.parse(answer.body) as PromAnswer;
  } catch {
    return { kind: "error", error: `Prometheus at ${url.origin} answered HTTP ${answer.status} with no JSON` };
  }
  if (body.status !== "success") {
    return { kind: "error", error: `Prometheus at ${url.origin}: HTTP ${answer.status}, ${body.errorType ?? "error"}: ${(body.error ?? "no detail").slice(0, 300)}` };
  }
  return readingOf(body.data?.resultType, body.data?.result);
}

function readingOf(type: string | undefined, result: unknown): Reading {
  if (type === "scalar") {
    const v = sampleValue(result);
    return Number.isNaN(v) ? { kind: "no-data", why: "the query returned NaN" } : { kind: "value", value: v };
  }
  if (type === "vector" && Array.isArray(result)) {
    if (result.length === 0) return { kind: "no-data", why: "the query matched no series" };
    const values: Value[] = result.map((s: { value?: unknown }) => sampleValue(s.value));
    if (values.every((v) => typeof v === "number" && Number.isNaN(v))) return { kind: "no-data", why: "every sample is NaN (no traffic in the window?)" };
    return { kind: "value", value: values };
  }
  if (type === "matrix") return { kind: "error", error: "the query returns a range vector: analysis needs an instant vector or a scalar (e.g. rate(x[1m]), not x[1m])" };
  return { kind: "error", error: `the query returns a ${type ?? "result of no type"}: analysis needs an instant vector or a scalar` };
}

/** [time, "0.031"] → 0.031 ("NaN", "+Inf" as numbers). */
function sampleValue(pair: unknown): number {
  const text = Array.isArray(pair) ? pair[1] : undefined;
  return typeof text === "string" ? Number(text) : Number.NaN;
}
