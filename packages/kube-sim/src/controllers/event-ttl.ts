/**
 * Events expire, as the real API server's do (--event-ttl, 1 h by default): once a minute, an Event
 * not seen again for longer than the TTL is deleted, so a long-running simulator's Events stay
 * bounded like a cluster's.
 */
import type { KObject } from "../kinds.js";
import { deleteAsSystem, typeOf, type ControllerContext } from "./context.js";

/** The sweep's period, at most (a shorter TTL is swept twice per TTL). */
const SWEEP_MS = 60_000;

/** When the Event was last seen: series.lastObservedTime, lastTimestamp, eventTime, or its creation. */
function lastSeen(e: KObject): number {
  const series = e.series as { lastObservedTime?: string } | undefined;
  const at = series?.lastObservedTime ?? (e.lastTimestamp as string | undefined) ?? (e.eventTime as string | undefined) ?? e.metadata.creationTimestamp;
  return at ? Date.parse(at) : 0;
}

export function eventTtlController(ctx: ControllerContext, ttlMs: number): { stop(): void } {
  const rt = typeOf(ctx.core, "/events");
  const sweep = (): void => {
    const cutoff = Date.now() - ttlMs;
    for (const e of [...ctx.core.store.iterate("/events")]) if (lastSeen(e) < cutoff) deleteAsSystem(ctx.core, rt, e);
  };
  const timer = setInterval(sweep, Math.min(SWEEP_MS, Math.max(10, ttlMs / 2)));
  timer.unref();
  return { stop: () => clearInterval(timer) };
}
