import { z } from "zod";
import { EVENTS, eventNameOfToken, eventToken, type EventData, type EventDataInput, type EventName } from "./events.js";
import { reasonsFromZod, type Reason } from "./reasons.js";

// CloudEvents 1.0, JSON structured mode, plus `traceparent` (W3C trace context extension).

export const TYPE_PREFIX = "dev.baton.release.";
export const TYPE_VERSION = "v1";

export function eventType(name: EventName): string {
  return `${TYPE_PREFIX}${eventToken(name)}.${TYPE_VERSION}`;
}

const TYPE_PATTERN = /^dev\.baton\.release\.([a-z_]+)\.v1$/;

export function eventNameOfType(type: string): EventName | undefined {
  const m = TYPE_PATTERN.exec(type);
  return m?.[1] === undefined ? undefined : eventNameOfToken(m[1]);
}

/** The envelope fields every event has on the wire. */
export const CloudEventEnvelope = z.looseObject({
  specversion: z.literal("1.0"),
  id: z.string().min(1).max(256),
  source: z.string().min(1).max(256),
  type: z.string().min(1).max(256),
  subject: z.string().min(1).max(256).optional(),
  time: z.iso.datetime({ offset: true }).optional(),
  datacontenttype: z.string().optional(),
  traceparent: z.string().regex(/^[0-9a-f]{2}-[0-9a-f]{32}-[0-9a-f]{16}-[0-9a-f]{2}$/).optional(),
  data: z.unknown(),
});

/** A Baton event in memory: the CloudEvent plus its contract name (not sent on the wire). */
export interface BatonEvent<N extends EventName = EventName> {
  readonly name: N;
  readonly specversion: "1.0";
  readonly id: string;
  readonly source: string;
  readonly type: string;
  readonly subject: string;
  readonly time: string;
  readonly datacontenttype: "application/json";
  readonly traceparent?: string;
  readonly data: EventData<N>;
}

/** Any event, discriminated on `name`, so a switch over it is checked for exhaustiveness. */
export type AnyEvent = { [N in EventName]: BatonEvent<N> }[EventName];

export interface MakeEventOptions {
  /** The service that emits it: becomes `source` (`baton/<stage>`). */
  readonly source: string;
  /** ISO time; the caller's clock (events carry time, the reducer has no clock of its own). */
  readonly time: string;
  readonly traceparent?: string;
  /** Distinguishes events of one name that may happen more than once in a release. */
  readonly step?: string;
}

/**
 * The id of an event, and its JetStream `Nats-Msg-Id`: derived from (release id, step), so a
 * republish after a crash is dropped as a duplicate.
 */
export function eventId(releaseId: string, name: EventName, step?: string): string {
  return `${releaseId}:${eventToken(name)}${step === undefined ? "" : `.${step}`}`;
}

/** Builds an event, checking its data against the contract (so a stage cannot emit a bad one). */
export function makeEvent<N extends EventName>(name: N, data: EventDataInput<N>, opts: MakeEventOptions): BatonEvent<N> {
  const parsed = EVENTS[name][1].parse(data) as EventData<N>;
  const releaseId = (parsed as { releaseId: string }).releaseId;
  return {
    name,
    specversion: "1.0",
    id: eventId(releaseId, name, opts.step),
    source: `baton/${opts.source}`,
    type: eventType(name),
    subject: releaseId,
    time: opts.time,
    datacontenttype: "application/json",
    ...(opts.traceparent === undefined ? {} : { traceparent: opts.traceparent }),
    data: parsed,
  };
}

/** The wire form: the CloudEvent without the in-memory `name`. */
export function toWire(event: BatonEvent): Record<string, unknown> {
  const { name: _name, ...wire } = event;
  return wire;
}

export function encodeEvent(event: BatonEvent): string {
  return JSON.stringify(toWire(event));
}

export type ParseResult<T> = { ok: true; value: T } | { ok: false; reasons: Reason[] };

/** Reads a Baton event from its wire form; every problem is named with its field path. */
export function parseEvent(input: unknown): ParseResult<AnyEvent> {
  const env = CloudEventEnvelope.safeParse(input);
  if (!env.success) return { ok: false, reasons: reasonsFromZod(env.error, input) };
  const name = eventNameOfType(env.data.type);
  if (name === undefined) {
    return { ok: false, reasons: [{ path: "type", rule: "must be a Baton event type", message: `type: unknown event type "${env.data.type}"` }] };
  }
  const data = EVENTS[name][1].safeParse(env.data.data);
  if (!data.success) {
    const reasons = reasonsFromZod(data.error, env.data.data).map((r) => ({ ...r, path: `data.${r.path}`, message: `data.${r.message}` }));
    return { ok: false, reasons };
  }
  const releaseId = (data.data as { releaseId: string }).releaseId;
  const event = {
    name,
    specversion: "1.0",
    id: env.data.id,
    source: env.data.source,
    type: env.data.type,
    subject: env.data.subject ?? releaseId,
    time: env.data.time ?? new Date(0).toISOString(),
    datacontenttype: "application/json",
    ...(env.data.traceparent === undefined ? {} : { traceparent: env.data.traceparent }),
    data: data.data,
  } as AnyEvent;
  return { ok: true, value: event };
}

export function decodeEvent(text: string): ParseResult<AnyEvent> {
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (err) {
    return { ok: false, reasons: [{ path: "(body)", rule: "must be JSON", message: `(body): must be JSON (${(err as Error).message})` }] };
  }
  return parseEvent(json);
}
