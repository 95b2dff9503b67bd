import { eventNameOfType } from "@baton/contracts";
import { setTimeout as sleep } from "node:timers/promises";
import type { Runtime, TimerPayload } from "./runtime.js";
import type { DueTimer } from "./timers.js";

// The pump: claims due timers (with a lease), publishes each one's event with the timer id as
// Nats-Msg-Id, and deletes the timer only after JetStream acknowledged the publish. Every process
// that runs a stage runs one; several pumps never fire a timer twice. Between claims it sleeps until
// the next due timer or the poll interval; a timer added by this process that falls due before the
// pump would wake wakes it at once (a handler's `schedule(…, { inMs: 0 })` fires without waiting
// for the poll), and other processes' timers are seen at the next poll.

export interface PumpOptions {
  readonly pollMs?: number;
  readonly leaseMs?: number;
  readonly batch?: number;
}

export interface TimerPump {
  stop(): Promise<void>;
}

export function startTimerPump(rt: Runtime, opts: PumpOptions = {}): TimerPump {
  const pollMs = opts.pollMs ?? rt.config.BATON_TIMER_POLL_MS;
  const leaseMs = opts.leaseMs ?? rt.config.BATON_TIMER_LEASE_MS;
  const batch = opts.batch ?? 256;
  const controller = new AbortController();
  const log = rt.log.child({ component: "timer-pump" });
  const nap = napper(rt);
  const done = (async () => {
    let failures = 0;
    while (!controller.signal.aborted) {
      try {
        const { now, nextDueAt, timers } = await rt.timers.claim(batch, leaseMs);
        await Promise.all(timers.map((t) => fire(rt, t)));
        failures = 0;
        if (timers.length === batch) continue;
        const wait = nextDueAt === null ? pollMs : Math.max(0, Math.min(pollMs, nextDueAt - now));
        await nap.until(now, wait);
      } catch (err) {
        if (controller.signal.aborted) break;
        failures++;
        log.warn({ err, failures }, "timer pump could not claim or fire; retrying");
        await sleep(Math.min(5000, 100 * 2 ** failures), undefined, { signal: controller.signal }).catch(() => undefined);
      }
    }
  })();
  return {
    async stop() {
      controller.abort();
      nap.close();
      await done.catch(() => undefined);
    },
  };
}

/**
 * The pump's sleep: `until(now, ms)` resolves after ms, or as soon as this process adds a timer due
 * before now + ms (both on Redis' clock), or when the pump stops (close).
 */
function napper(rt: Runtime): { until(now: number, ms: number): Promise<void>; close(): void } {
  let wakeAt = Number.POSITIVE_INFINITY;
  let wake: (() => void) | undefined;
  let addedDue = Number.POSITIVE_INFINITY; // earliest timer added while the pump was not sleeping
  const unsubscribe = rt.timers.onAdded((dueAt) => {
    if (wake === undefined) addedDue = Math.min(addedDue, dueAt);
    else if (dueAt < wakeAt) wake();
  });
  return {
    async until(now, ms) {
      const claimAgain = addedDue < now + ms;
      addedDue = Number.POSITIVE_INFINITY;
      if (claimAgain || ms === 0) return;
      wakeAt = now + ms;
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, ms);
        wake = () => {
          clearTimeout(timer);
          resolve();
        };
      });
      wake = undefined;
      wakeAt = Number.POSITIVE_INFINITY;
    },
    close() {
      unsubscribe();
      wake?.();
    },
  };
}

async function fire(rt: Runtime, t: DueTimer): Promise<void> {
  const payload = JSON.parse(t.payload) as TimerPayload;
  const event = JSON.parse(payload.event) as Record<string, unknown>;
  event.time = new Date(t.claimedAt).toISOString(); // when it fired, on Redis' clock
  const published = await rt.bus.publishRaw(payload.subject, JSON.stringify(event), t.id);
  if (!(await rt.timers.ack(t))) {
    rt.log.warn({ component: "timer-pump", timer: t.id }, "timer published after its lease ran out: left to the pump that holds it now");
  }
  rt.metrics.timersFired.inc();
  rt.metrics.published.inc({ stage: "timer", event: eventNameOfType(String(event.type)) ?? "unknown", outcome: published.duplicate ? "duplicate" : "stored" });
  rt.metrics.timerLatenessSeconds.observe(Math.max(0, t.claimedAt - t.dueAt) / 1000);
}
