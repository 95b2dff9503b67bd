import { ActivityFailure, messageOfUnknown, type Scrub } from "./failure.js";

// A webhook post-release activity: one request with a JSON body describing the release, a bearer
// token from a Secret when one is named, a timeout, and an Idempotency-Key of
// `<releaseId>:<activity>` — webhooks run at least once (a later activity that fails makes the
// whole list run again on redelivery), so receivers deduplicate on that key.

export interface WebhookRun {
  readonly url: string;
  readonly method: "POST" | "PUT" | "GET";
  readonly headers: Readonly<Record<string, string>>;
  readonly bearerToken: string | undefined;
  readonly idempotencyKey: string;
  readonly body: Readonly<Record<string, unknown>>;
  readonly timeoutMs: number;
  readonly scrub: Scrub;
  readonly fetch: typeof fetch;
}

const EXCERPT = 200;

/** Sends the request; 2xx is success, anything else throws an ActivityFailure safe to show. */
export async function callWebhook(run: WebhookRun): Promise<string> {
  const target = `${run.method} ${safeUrl(run.url)}`;
  const started = performance.now();
  let res: Response;
  let text: string;
  try {
    res = await run.fetch(run.url, {
      method: run.method,
      headers: headersOf(run),
      ...(run.method === "GET" ? {} : { body: JSON.stringify(run.body) }),
      signal: AbortSignal.timeout(run.timeoutMs),
    });
    text = await res.text();
  } catch (err) {
    const timeout = err instanceof Error && (err.name === "TimeoutError" || err.name === "AbortError");
    const why = timeout ? `no answer within ${run.timeoutMs / 1000}s` : run.scrub(causeOf(err));
    throw new ActivityFailure(`${target}: ${why}`, true);
  }
  const ms = Math.round(performance.now() - started);
  if (res.ok) return `${target} → HTTP ${res.status} in ${ms} ms`;
  const excerpt = run.scrub(text.slice(0, EXCERPT).replace(/\s+/g, " ").trim());
  const retryable = res.status >= 500 || [408, 425, 429].includes(res.status);
  throw new ActivityFailure(`${target} → HTTP ${res.status}${excerpt ? `: ${excerpt}` : ""}`, retryable);
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
