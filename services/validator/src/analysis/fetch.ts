// One HTTP call of an analysis provider: a timeout, the caller's cancellation, the body read up to
// a bound. Never throws: a network error is a result too, described without the request's headers
// (they may carry a Secret's value).

const MAX_BODY_BYTES = 1024 * 1024;

export type FetchResult = { readonly status: number; readonly body: string } | { readonly error: string };

export async function fetchText(url: URL, init: RequestInit, timeoutMs: number, signal: AbortSignal): Promise<FetchResult> {
  const timeout = AbortSignal.timeout(timeoutMs);
  try {
    const res = await fetch(url, { ...init, redirect: "manual", signal: AbortSignal.any([signal, timeout]) });
    const body = await readBounded(res);
    return { status: res.status, body };
  } catch (err) {
    if (timeout.aborted) return { error: `no answer within ${timeoutMs} ms` };
    if (signal.aborted) return { error: "cancelled" };
    const cause = (err as { cause?: { code?: string; message?: string } }).cause;
    return { error: cause?.code ? `${cause.code} ${cause.message ?? ""}`.trim() : (err as Error).message };
  }
}

async function readBounded(res: Response): Promise<string> {
  if (res.body === null) return "";
  const chunks: Uint8Array[] = [];
  let size = 0;
  for await (const chunk of res.body) {
    chunks.push(chunk as Uint8Array);
    size += (chunk as Uint8Array).length;
    if (size > MAX_BODY_BYTES) break;
  }
  return Buffer.concat(chunks).toString("utf8").slice(0, MAX_BODY_BYTES);
}
