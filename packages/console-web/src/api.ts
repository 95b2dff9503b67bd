import type {
  ActionResponse,
  ApiError,
  AppHistory,
  ConsoleMe,
  ConsoleSignIn,
  ReleaseDetail,
  ReleaseList,
  StreamMessage,
} from "@baton/contracts";

// The one typed client of the console's API (types from @baton/contracts, nothing else of ours).

export class ApiFailure extends Error {
  override name = "ApiFailure";
  constructor(
    readonly status: number,
    message: string,
  ) {
    super(message);
  }
}

let csrfToken = "";

async function call<T>(path: string, init: RequestInit = {}): Promise<T> {
  const res = await fetch(path, { credentials: "same-origin", ...init, headers: { accept: "application/json", ...init.headers } });
  const text = await res.text();
  const body = text === "" ? {} : (JSON.parse(text) as unknown);
  if (!res.ok) throw new ApiFailure(res.status, (body as ApiError).error ?? `${res.status} ${res.statusText}`);
  return body as T;
}

function post<T>(path: string, body: unknown): Promise<T> {
  return call<T>(path, { method: "POST", headers: { "content-type": "application/json", "x-csrf-token": csrfToken }, body: JSON.stringify(body) });
}

export const api = {
  signIn: () => call<ConsoleSignIn>("/api/auth"),
  async me(): Promise<ConsoleMe> {
    const me = await call<ConsoleMe>("/api/me");
    csrfToken = me.csrfToken;
    return me;
  },
  async tokenSignIn(token: string): Promise<ConsoleMe> {
    const me = await post<ConsoleMe>("/auth/token", { token });
    csrfToken = me.csrfToken;
    return me;
  },
  signOut: () => post<void>("/auth/logout", {}),
  releases(q: { namespace?: string; app?: string; phase?: string; attention?: boolean }): Promise<ReleaseList> {
    const params = new URLSearchParams();
    for (const [k, v] of Object.entries(q)) if (v !== undefined && v !== "" && v !== false) params.set(k, String(v));
    return call<ReleaseList>(`/api/releases?${params}`);
  },
  release: (id: string) => call<ReleaseDetail>(`/api/releases/${encodeURIComponent(id)}`),
  app: (namespace: string, app: string) => call<AppHistory>(`/api/apps/${encodeURIComponent(namespace)}/${encodeURIComponent(app)}`),
  act: (releaseId: string, action: string, reason?: string) =>
    post<ActionResponse>(`/api/releases/${encodeURIComponent(releaseId)}/actions/${encodeURIComponent(action)}`, reason === undefined || reason === "" ? {} : { reason }),
};

/**
 * Follows the live stream (server-sent events). `onOpen` runs on every (re)connection after the
 * first: the page reads its data again then, so nothing that happened while the connection was
 * down is missed. Returns the close function.
 */
export function follow(release: string | null, onMessage: (m: StreamMessage) => void, onOpen: () => void): () => void {
  const source = new EventSource(release === null ? "/api/stream" : `/api/stream?release=${encodeURIComponent(release)}`);
  let opened = 0;
  source.onopen = () => {
    if (opened++ > 0) onOpen();
  };
  source.onmessage = (e: MessageEvent<string>) => onMessage(JSON.parse(e.data) as StreamMessage);
  return () => source.close();
}
