import { VERSION } from "@baton/runtime";
import type { ResolvedTarget } from "../config.js";

// One POST to one target. The answer decides: 2xx sent; 408, 429, 5xx or no answer (refused,
// timed out) worth another try later; any other 4xx never will be (a wrong URL or a revoked hook).
// Nothing of the URL (a Slack hook's URL is its credential) or of the answer's body is kept.

export type SendResult = { readonly kind: "sent" } | { readonly kind: "retry" | "failed"; readonly reason: string };

export async function send(target: ResolvedTarget, body: unknown, idempotencyKey: string, timeoutMs: number): Promise<SendResult> {
  let res: Response;
  try {
    res = await fetch(target.url, {
      method: "POST",
      headers: { "content-type": "application/json", "user-agent": `baton-notifier/${VERSION}`, "idempotency-key": idempotencyKey, ...target.headers },
      body: JSON.stringify(body),
      signal: AbortSignal.timeout(timeoutMs),
      redirect: "error",
    });
    await res.body?.cancel();
  } catch (err) {
    const e = err as Error & { cause?: { code?: string } };
    return { kind: "retry", reason: e.name === "TimeoutError" ? `no answer within ${timeoutMs} ms` : `request failed (${e.cause?.code ?? e.name})` };
  }
  if (res.ok) return { kind: "sent" };
  const reason = `answered HTTP ${res.status}`;
  return res.status === 408 || res.status === 429 || res.status >= 500 ? { kind: "retry", reason } : { kind: "failed", reason };
}
