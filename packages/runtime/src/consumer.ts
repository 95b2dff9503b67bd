import { nanos } from "@nats-io/transport-node";
import { AckPolicy, DeliverPolicy, type ConsumerMessages, type JsMsg } from "@nats-io/jetstream";
import type { EventName } from "@baton/contracts";
import type { Bus } from "./bus.js";
import { isRetryable, messageOf } from "./errors.js";
import type { Logger } from "./logger.js";

// A stage reads each event type through a durable pull consumer with explicit ack, shared by all
// replicas of the stage (that is how a stage scales out). A handler returns an outcome; only this
// module turns it into ack / nak / term. A message that keeps failing goes to the dead-letter
// subject with its error after maxDeliver attempts, and never blocks the others.

export type Outcome =
  | { readonly kind: "ack" }
  | { readonly kind: "retry"; readonly delayMs: number; readonly reason: string }
  | { readonly kind: "terminal"; readonly reason: string };

export const ack: Outcome = { kind: "ack" };
export const retry = (reason: string, delayMs = 1000): Outcome => ({ kind: "retry", delayMs, reason });
export const terminal = (reason: string): Outcome => ({ kind: "terminal", reason });

export interface Delivery {
  readonly msg: JsMsg;
  /** 1 on the first delivery. */
  readonly attempt: number;
  readonly signal: AbortSignal;
}

export interface ConsumerSpec {
  readonly stage: string;
  /** The event type read ("unknown" with `from`, for messages that are not release events). */
  readonly event: EventName | "unknown";
  readonly concurrency: number;
  readonly maxDeliver: number;
  readonly ackWaitMs: number;
  /** Another stream, filter and durable than the event type's (the notifier follows the dead letters). */
  readonly from?: { readonly stream: string; readonly filter: string; readonly durable: string };
}

export interface Consumption {
  /** Stops pulling, lets in-flight messages finish, then resolves. */
  stop(): Promise<void>;
  readonly done: Promise<void>;
}

export interface ConsumeHooks {
  readonly log: Logger;
  readonly onOutcome?: (outcome: Outcome["kind"] | "dead_letter", attempt: number, seconds: number) => void;
}

/** The durable name of a stage's consumer of one event type. */
export function durableName(stage: string, event: EventName, bus: Bus): string {
  return `${stage}--${bus.subjects.ofType(event).split(".")[2]}`;
}

/** Backoff before a retry: 250 ms doubling, capped at 30 s, with jitter. */
export function backoffMs(attempt: number): number {
  const base = Math.min(30_000, 250 * 2 ** Math.max(0, attempt - 1));
  return Math.round(base * (0.8 + Math.random() * 0.4));
}

export async function consume(
  bus: Bus,
  spec: ConsumerSpec,
  handle: (d: Delivery) => Promise<Outcome>,
  hooks: ConsumeHooks,
): Promise<Consumption> {
  const stream = spec.from?.stream ?? bus.subjects.eventsStream;
  const durable = spec.from?.durable ?? (spec.event === "unknown" ? `${spec.stage}--unknown` : durableName(spec.stage, spec.event, bus));
  const config = {
    durable_name: durable,
    ack_policy: AckPolicy.Explicit,
    deliver_policy: DeliverPolicy.All,
    filter_subject: spec.from?.filter ?? (spec.event === "unknown" ? bus.subjects.allEvents : bus.subjects.ofType(spec.event)),
    // The server's own limit is a backstop one above ours: we dead-letter at maxDeliver ourselves.
    max_deliver: spec.maxDeliver + 1,
    ack_wait: nanos(spec.ackWaitMs),
    max_ack_pending: Math.max(1000, spec.concurrency * 4),
  };
  await bus.jsm.consumers.add(stream, config).catch(async (err: unknown) => {
    // Exists with another config (an older version of the stage): update what may be updated.
    await bus.jsm.consumers.update(stream, durable, config).catch(() => {
      throw err;
    });
  });
  const consumer = await bus.js.consumers.get(stream, durable);
  const messages = await consumer.consume({ max_messages: spec.concurrency, expires: 5000 });
  const controller = new AbortController();
  const done = pump(bus, spec, messages, handle, hooks, controller.signal);
  return {
    done,
    async stop() {
      controller.abort();
      await messages.close().catch(() => undefined);
      await done;
    },
  };
}

async function pump(
  bus: Bus,
  spec: ConsumerSpec,
  messages: ConsumerMessages,
  handle: (d: Delivery) => Promise<Outcome>,
  hooks: ConsumeHooks,
  signal: AbortSignal,
): Promise<void> {
  const inflight = new Set<Promise<void>>();
  for await (const msg of messages) {
    const p: Promise<void> = deliver(bus, spec, msg, handle, hooks, signal).finally(() => inflight.delete(p));
    inflight.add(p);
    if (inflight.size >= spec.concurrency) await Promise.race(inflight);
  }
  await Promise.all(inflight);
}

async function deliver(
  bus: Bus,
  spec: ConsumerSpec,
  msg: JsMsg,
  handle: (d: Delivery) => Promise<Outcome>,
  hooks: ConsumeHooks,
  signal: AbortSignal,
): Promise<void> {
  const attempt = msg.info.deliveryCount;
  const started = performance.now();
  const heartbeat = setInterval(() => msg.working(), Math.max(500, spec.ackWaitMs / 3));
  let outcome: Outcome;
  try {
    outcome = await handle({ msg, attempt, signal });
  } catch (err) {
    outcome = isRetryable(err) ? retry(messageOf(err), backoffMs(attempt)) : terminal(messageOf(err));
    hooks.log.warn({ err, attempt, subject: msg.subject }, `handler failed (${outcome.kind})`);
  } finally {
    clearInterval(heartbeat);
  }
  const seconds = (performance.now() - started) / 1000;
  if (outcome.kind === "ack") {
    msg.ack();
  } else if (outcome.kind === "retry" && attempt < spec.maxDeliver) {
    msg.nak(outcome.delayMs);
  } else {
    await deadLetter(bus, spec, msg, outcome, attempt, hooks.log);
    hooks.onOutcome?.("dead_letter", attempt, seconds);
    return;
  }
  hooks.onOutcome?.(outcome.kind, attempt, seconds);
}

/** Parks a message on `<prefix>.dlq.<stage>.<type>` with its error, then terminates it. */
async function deadLetter(bus: Bus, spec: ConsumerSpec, msg: JsMsg, outcome: Outcome, attempt: number, log: Logger): Promise<void> {
  const reason = outcome.kind === "ack" ? "" : outcome.reason;
  const letter = {
    stage: spec.stage,
    event: spec.event,
    subject: msg.subject,
    streamSeq: msg.seq,
    attempts: attempt,
    error: reason,
    kind: outcome.kind === "terminal" ? "terminal" : "retries_exhausted",
    at: new Date().toISOString(),
    payload: msg.string(),
  };
  try {
    await bus.js.publish(bus.subjects.deadLetter(spec.stage, spec.event), JSON.stringify(letter), {
      msgID: `${spec.stage}:${spec.event}:${msg.seq}`,
    });
    msg.term(reason.slice(0, 200));
    log.error({ attempts: attempt, subject: msg.subject, error: reason }, "message dead-lettered");
  } catch (err) {
    log.error({ err }, "could not dead-letter; leaving the message for redelivery");
    msg.nak(backoffMs(attempt));
  }
}

export interface DeadLetter {
  readonly seq: number;
  readonly stage: string;
  readonly event: string;
  readonly subject: string;
  readonly streamSeq: number;
  readonly attempts: number;
  readonly error: string;
  readonly kind: string;
  readonly at: string;
  readonly payload: string;
}

/** Every dead letter, oldest first (for `baton dlq`). */
export async function listDeadLetters(bus: Bus): Promise<DeadLetter[]> {
  const raw = await bus.readAll(bus.subjects.dlqStream, bus.subjects.allDeadLetters);
  return raw.map((m) => ({ seq: m.seq, ...(JSON.parse(m.data) as Omit<DeadLetter, "seq">) }));
}
