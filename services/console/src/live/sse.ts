import type { IncomingMessage, ServerResponse } from "node:http";
import type { ConsoleAction, ReleaseState, StreamMessage } from "@baton/contracts";
import type { Access, Principal } from "../auth/index.js";
import { SECURITY_HEADERS } from "../http.js";
import type { ConsoleMetrics } from "../metrics.js";
import type { LiveHub } from "./hub.js";
import type { ReleasePods } from "./pods.js";

// GET /api/stream: server-sent events for one page. Every change in the namespaces the reader may
// see; with ?release=<id>, also that release's pods and, when its phase moves, the actions now open
// to the reader. The stream ends when the session does (the page then signs in again).

const PING_MS = 15_000;

export interface StreamDeps {
  readonly hub: LiveHub;
  readonly access: Access;
  readonly pods: ReleasePods;
  readonly metrics: ConsoleMetrics;
  readonly actionsFor: (p: Principal, state: ReleaseState) => ConsoleAction[];
}

export function openStream(req: IncomingMessage, res: ServerResponse, p: Principal, release: ReleaseState | null, deps: StreamDeps): void {
  res.writeHead(200, {
    ...SECURITY_HEADERS,
    "content-type": "text/event-stream; charset=utf-8",
    "cache-control": "no-store",
    "x-accel-buffering": "no", // nginx & co.: do not buffer the stream
    connection: "keep-alive",
  });
  res.write("retry: 2000\n\n");
  const send = (m: StreamMessage) => res.write(`data: ${JSON.stringify(m)}\n\n`);
  let lastActions = release === null ? "" : JSON.stringify(deps.actionsFor(p, release));
  const unsubscribe = deps.hub.subscribe(({ message, namespace, state }) => {
    if (!deps.access.can(p, namespace, "viewer")) return;
    send(message);
    if (release !== null && state !== undefined && message.type === "release" && message.release.releaseId === release.releaseId) {
      const actions = deps.actionsFor(p, state);
      const text = JSON.stringify(actions);
      if (text !== lastActions) send({ type: "actions", releaseId: release.releaseId, actions });
      lastActions = text;
    }
  });
  const unwatch = release === null ? () => undefined : deps.pods.watch(release, (pods) => send({ type: "pods", releaseId: release.releaseId, pods }));
  const ping = setInterval(() => res.write(": ping\n\n"), PING_MS);
  const expiry = p.expiresAt === null ? undefined : setTimeout(() => res.end(), Math.max(0, p.expiresAt - Date.now()));
  deps.metrics.streams.inc();
  let closed = false;
  const close = () => {
    if (closed) return;
    closed = true;
    clearInterval(ping);
    clearTimeout(expiry);
    unsubscribe();
    unwatch();
    deps.metrics.streams.dec();
  };
  req.on("close", close);
  res.on("close", close);
}
