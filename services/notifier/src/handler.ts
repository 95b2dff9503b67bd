import { Counter, Histogram, type Registry } from "prom-client";
import type { ReleaseState } from "@baton/contracts";
import { RetryableError, ack, type Delivery, type Logger, type Outcome, type Redis, type ReleaseStore } from "@baton/runtime";
import type { NotifierConfig } from "./config.js";
import { bodyFor, idempotencyKey, readIncoming, releaseOf, varsOf, type Incoming } from "./message.js";
import { send, type SendResult } from "./steps/send.js";
import { triggersOf, type Trigger } from "./triggers.js";

// One message off the stream → the notifications it fires, each sent at least once to each
// subscribed target: read → triggers that hold → targets subscribed → for each target not yet
// done, send and remember it (Redis, 7 days). A target that should be tried again makes the whole
// message come back later (with backoff); those already sent are not sent twice.

export interface NotifierMetrics {
  readonly notifications: Counter<"trigger" | "target" | "result">;
  readonly sendSeconds: Histogram<"target">;
}

export function notifierMetrics(registry: Registry): NotifierMetrics {
  const r = [registry];
  return {
    notifications: new Counter({ name: "baton_notifications_total", help: "Notifications by trigger, target and result (sent; retry: tried again later; failed: given up, 4xx or out of attempts; duplicate: already sent)", labelNames: ["trigger", "target", "result"], registers: r }),
    sendSeconds: new Histogram({ name: "baton_notification_send_seconds", help: "Time to deliver one notification to one target", labelNames: ["target"], buckets: [0.01, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10], registers: r }),
  };
}

export interface NotifierDeps {
  readonly cfg: NotifierConfig;
  readonly store: ReleaseStore;
  readonly redis: Redis;
  readonly prefix: string;
  readonly metrics: NotifierMetrics;
  readonly log: Logger;
}

const DONE_TTL_S = 7 * 86_400;

export async function handle(deps: NotifierDeps, d: Delivery, deadLetter: boolean, lastAttempt: boolean): Promise<Outcome> {
  const m = readIncoming(d.msg.string(), deadLetter);
  if (m === null || (m.kind === "dead_letter" && m.stage === "notifier")) return ack; // never notify about our own dead letters
  const triggers = triggersOf(m.kind === "event" ? m.event.name : "dead_letter");
  if (triggers.length === 0) return ack;
  const { releaseId } = releaseOf(m);
  const state = m.kind === "event" ? await deps.store.stateWith(m.event) : releaseId === null ? null : ((await deps.store.get(releaseId))?.state ?? null);
  const pending: string[] = [];
  for (const trigger of triggers) {
    if (trigger.when !== undefined && (m.kind !== "event" || !trigger.when(state, m.event))) continue;
    for (const target of subscribedTargets(deps.cfg, m, trigger)) {
      const why = await notify(deps, m, trigger, target, state, lastAttempt, d.attempt);
      if (why !== undefined) pending.push(`${target}: ${why}`);
    }
  }
  if (pending.length > 0) throw new RetryableError(`notifications to try again: ${pending.join("; ")}`);
  return ack;
}

/** The targets subscribed to this trigger for the release's namespace and app, each once. */
export function subscribedTargets(cfg: NotifierConfig, m: Incoming, trigger: Trigger): string[] {
  const { namespace, app } = releaseOf(m);
  const out = new Set<string>();
  for (const s of cfg.subscriptions) {
    if (!s.triggers.includes(trigger.id)) continue;
    if (!s.namespaces.includes("*") && (namespace === null || !s.namespaces.includes(namespace))) continue;
    if (s.apps.length > 0 && (app === null || !s.apps.includes(app))) continue;
    for (const t of s.targets) out.add(t);
  }
  return [...out];
}

/** Sends one notification unless it was done before; returns why it must be tried again, if it must. */
async function notify(deps: NotifierDeps, m: Incoming, trigger: Trigger, name: string, state: ReleaseState | null, lastAttempt: boolean, attempt: number): Promise<string | undefined> {
  const key = idempotencyKey(m, trigger, name);
  const marker = `${deps.prefix}:notified:${key}`;
  const labels = { trigger: trigger.id, target: name };
  if ((await deps.redis.exists(marker)) === 1) {
    deps.metrics.notifications.inc({ ...labels, result: "duplicate" });
    return undefined;
  }
  const target = deps.cfg.targets.get(name);
  if (target === undefined) return undefined; // checked at start: cannot happen
  const body = bodyFor(target, m, trigger, varsOf(m, trigger, state, deps.cfg.consoleUrl), deps.cfg);
  const t0 = performance.now();
  const r: SendResult = await send(target, body, key, deps.cfg.timeoutMs);
  deps.metrics.sendSeconds.observe({ target: name }, (performance.now() - t0) / 1000);
  const log = deps.log.child({ trigger: trigger.id, target: name, releaseId: releaseOf(m).releaseId, idempotencyKey: key, attempt });
  if (r.kind === "sent") {
    await deps.redis.set(marker, "sent", "EX", DONE_TTL_S);
    deps.metrics.notifications.inc({ ...labels, result: "sent" });
    log.info("notification sent");
    return undefined;
  }
  if (r.kind === "retry" && !lastAttempt) {
    deps.metrics.notifications.inc({ ...labels, result: "retry" });
    log.warn({ reason: r.reason }, "notification not delivered; trying again later");
    return r.reason;
  }
  // Given up: a 4xx will not get better, or this was the last attempt. Remembered, so a redelivery
  // for another target does not send it again; counted (an alert can fire on it) and logged.
  await deps.redis.set(marker, "failed", "EX", DONE_TTL_S);
  deps.metrics.notifications.inc({ ...labels, result: "failed" });
  log.error({ reason: r.reason }, "notification failed: given up");
  return undefined;
}
