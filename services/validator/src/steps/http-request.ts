import { Agent, request } from "node:http";
import { sameOrigin } from "@baton/contracts";

// One HTTP request as the validator sends it: keep-alive, a timeout, the body read up to a bound,
// the latency measured from send to the last byte. Never throws: a network error is an answer too.
// A request goes only to the preview Service: a path that resolves to another origin (a spec stored
// before the release spec refused such paths) is not sent, and reads as a failed request.

const MAX_BODY_BYTES = 1024 * 1024;

export interface HttpAnswer {
  readonly status: number;
  readonly body: string;
  readonly latencyMs: number;
}

export interface HttpFailure {
  readonly error: string;
  readonly latencyMs: number;
}

export type HttpResult = HttpAnswer | HttpFailure;

export const isAnswer = (r: HttpResult): r is HttpAnswer => "status" in r;

export interface HttpRequestSpec {
  readonly method: string;
  readonly path: string;
  readonly headers?: Record<string, string>;
  readonly body?: string;
}

/** A keep-alive agent for one validation run (closed by the caller with destroy()). */
export function validationAgent(maxSockets: number): Agent {
  return new Agent({ keepAlive: true, maxSockets });
}

export function sendRequest(
  agent: Agent,
  baseUrl: string,
  spec: HttpRequestSpec,
  timeoutMs: number,
  signal: AbortSignal,
): Promise<HttpResult> {
  const started = performance.now();
  const elapsed = () => Math.round((performance.now() - started) * 10) / 10;
  const target = onPreview(baseUrl, spec.path);
  if (typeof target === "string") return Promise.resolve({ error: target, latencyMs: 0 });
  return new Promise((resolve) => {
    const headers: Record<string, string> = { ...spec.headers };
    if (spec.body !== undefined) headers["content-length"] = String(Buffer.byteLength(spec.body));
    const req = request(target, { method: spec.method, headers, agent, signal }, (res) => {
      const chunks: Buffer[] = [];
      let size = 0;
      res.on("data", (c: Buffer) => {
        if (size < MAX_BODY_BYTES) chunks.push(c);
        size += c.length;
      });
      res.on("end", () => resolve({ status: res.statusCode ?? 0, body: Buffer.concat(chunks).toString("utf8"), latencyMs: elapsed() }));
      res.on("error", (err) => resolve({ error: describe(err), latencyMs: elapsed() }));
    });
    req.setTimeout(timeoutMs, () => req.destroy(new TimeoutError(timeoutMs)));
    req.on("error", (err) => resolve({ error: describe(err), latencyMs: elapsed() }));
    req.end(spec.body);
  });
}

/** The URL of `path` on the preview Service, or why it is not sent (it resolves to another origin). */
export function onPreview(baseUrl: string, path: string): URL | string {
  let url: URL;
  try {
    url = new URL(path, baseUrl);
  } catch {
    return "not sent: the path is not a valid URL path";
  }
  return sameOrigin(url, baseUrl) ? url : `not sent: the path leads off the preview Service (to ${url.host || url.protocol})`;
}

class TimeoutError extends Error {
  override name = "TimeoutError";
  constructor(readonly timeoutMs: number) {
    super(`no answer within ${timeoutMs} ms`);
  }
}

function describe(err: Error & { code?: string }): string {
  if (err instanceof TimeoutError) return err.message;
  if (err.name === "AbortError") return "cancelled";
  return err.code ? `${err.code} ${err.message}`.trim() : err.message;
}
