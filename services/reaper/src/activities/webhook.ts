import { hostAllowed, webhookHostProblem, type HostAllowList } from "@baton/contracts";
import { ActivityFailure, messageOfUnknown, type Scrub } from "./failure.js";

// A webhook post-release activity: one request with a JSON body describing the release, a bearer
// token from a Secret when one is named, a timeout, and an Idempotency-Key of
// `<releaseId>:<activity>` — webhooks run at least once (a later activity that fails makes the
// whole list run again on redelivery), so receivers deduplicate on that key.
//
// What it may reach: only a host BATON_WEBHOOK_ALLOWED_HOSTS allows (the planner refused other
// hosts; checked again here, the list may have changed since), redirects followed only on the
// same origin, and nothing of the answer kept but its status and reason phrase (scrubbed, short):
// a receiver's body may carry anything, and the result lands in events and `baton release --watch`.

export interface WebhookRun {
  readonly url: string;
  readonly method: "POST" | "PUT" | "GET";
  readonly headers: Readonly<Record<string, string>>;
  readonly bearerToken: string | undefined;
  readonly idempotencyKey: string;
  readonly body: Readonly<Record<string, unknown>>;
  readonly timeoutMs: number;
  readonly allowedHosts: HostAllowList;
  readonly scrub: Scrub;
  readonly fetch: typeof fetch;
}

const MAX_REDIRECTS = 5;
const REASON_SHOWN = 64;

/** Sends the request; 2xx is success, anything else throws an ActivityFailure safe to show. */
export async function callWebhook(run: WebhookRun): Promise<string> {
  const target = `${run.method} ${safeUrl(run.url)}`;
  const refused = webhookHostProblem(run.url, run.allowedHosts);
  if (refused !== undefined) throw new ActivityFailure(`${target}: not called: ${refused}`, false);
  const started = performance.now();
  const res = await send(run, target);
  const ms = Math.round(performance.now() - started);
  if (res.ok) return `${target} → HTTP ${res.status} in ${ms} ms`;
  const retryable = res.status >= 500 || [408, 425, 429].includes(res.status);
  throw new ActivityFailure(`${target} → HTTP ${res.status}${reasonOf(res, run.scrub)}`, retryable);
}

/** The request, following redirects only within the same origin; the answer's body is never read. */
async function send(run: WebhookRun, target: string): Promise<Response> {
  let url = new URL(run.url);
  let method: string = run.method;
  const signal = AbortSignal.timeout(run.timeoutMs);
  for (let hop = 0; ; hop++) {
    const res = await attempt(run, url, method, signal, target);
    await res.body?.cancel().catch(() => undefined);
    const location = res.status >= 300 && res.status < 400 ? res.headers.get("location") : null;
    if (location === null) return res;
    const next = new URL(location, url);
    if (next.origin !== url.origin || !hostAllowed(next, run.allowedHosts)) {
      throw new ActivityFailure(`${target} → HTTP ${res.status} redirect to another host (${next.host || next.protocol}), not followed`, false);
    }
    if (hop + 1 >= MAX_REDIRECTS) throw new ActivityFailure(`${target} → more than ${MAX_REDIRECTS} redirects, not followed`, false);
    if (res.status === 303 || ((res.status === 301 || res.status === 302) && method !== "GET")) method = "GET";
    url = next;
  }
}

async function attempt(run: WebhookRun, url: URL, method: string, signal: AbortSignal, target: string): Promise<Response> {
  try {
    return await run.fetch(url, {
      method,
      headers: headersOf(run),
      ...(method === "GET" ? {} : { body: JSON.stringify(run.body) }),
      redirect: "manual",
      signal,
    });
  } catch (err) {
    const timeout = err instanceof Error && (err.name === "TimeoutError" || err.name === "AbortError");
    const why = timeout ? `no answer within ${run.timeoutMs / 1000}s` : run.scrub(causeOf(err));
    throw new ActivityFailure(`${target}: ${why}`, true);
  }
}

/** " <reason phrase>", scrubbed, printable and short; "" when there is none. */
function reasonOf(res: Response, scrub: Scrub): string {
  const text = scrub(res.statusText).replace(/[^\x20-\x7e]+/g, " ").replace(/\s+/g, " ").trim();
  if (text === "") return "";
  return ` ${text.length > REASON_SHOWN ? `${text.slice(0, REASON_SHOWN)}…` : text}`;
}

function headersOf(run: WebhookRun): Record<string, string> {
  return {
    "content-type": "application/json",
    "user-agent": "baton-reaper",
    ...run.headers,
    "idempotency-key": run.idempotencyKey,
    ...(run.bearerToken === undefined ? {} : { authorization: `Bearer ${run.bearerToken}` }),
  };
}

/** The URL without credentials or query (which may carry tokens), for messages. */
export function safeUrl(url: string): string {
  try {
    const u = new URL(url);
    return `${u.protocol}//${u.host}${u.pathname}`;
  } catch {
    return "(invalid URL)";
  }
}

/** fetch wraps network errors as "fetch failed"; the useful part is the cause (ECONNREFUSED …). */
function causeOf(err: unknown): string {
  const cause = (err as { cause?: unknown } | null)?.cause;
  const code = (cause as { code?: unknown } | null)?.code;
  const inner = cause === undefined ? "" : `: ${typeof code === "string" ? code : messageOfUnknown(cause)}`;
  return `${messageOfUnknown(err)}${inner}`;
}
