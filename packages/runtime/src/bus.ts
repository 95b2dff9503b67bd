import { connect, headers, nanos, type NatsConnection, type Msg, type Subscription } from "@nats-io/transport-node";
import {
  AckPolicy,
  DeliverPolicy,
  DiscardPolicy,
  jetstream,
  JetStreamApiCodes,
  JetStreamApiError,
  jetstreamManager,
  RetentionPolicy,
  StorageType,
  type JetStreamClient,
  type JetStreamManager,
} from "@nats-io/jetstream";
import { decodeEvent, encodeEvent, subjects, type AnyEvent, type BatonEvent, type Subjects } from "@baton/contracts";
import { ConfigError, UnavailableError } from "./errors.js";
import type { Logger } from "./logger.js";

// The JetStream bus: one file-backed stream holds every release event (with a dedup window, so a
// republish after a crash is dropped), a second holds dead letters. Publishing sets Nats-Msg-Id
// to the event id, which is derived from (release id, step).

export interface BusOptions {
  readonly url: string;
  readonly prefix: string;
  /** Connection name, shown by the NATS server (`baton-<stage>`). */
  readonly name: string;
  readonly credsFile?: string;
  readonly user?: string;
  readonly password?: string;
  /** Prefix of this connection's reply subjects (default `_INBOX`): a team's user may subscribe to its own only. */
  readonly inboxPrefix?: string;
  readonly dedupWindowMs?: number;
  readonly retentionDays?: number;
  /** JetStream replicas of the streams (3 in production). */
  readonly replicas?: number;
  /** false: ensureStreams only checks that the streams exist (they are provisioned by an admin). */
  readonly manageStreams?: boolean;
  readonly logger?: Logger;
}

export interface PublishResult {
  readonly seq: number;
  readonly duplicate: boolean;
}

export class Bus {
  readonly subjects: Subjects;

  private constructor(
    readonly nc: NatsConnection,
    readonly js: JetStreamClient,
    readonly jsm: JetStreamManager,
    private readonly opts: BusOptions,
  ) {
    this.subjects = subjects(opts.prefix);
  }

  /** Connects; fails with "cannot reach NATS at <url> (BATON_NATS_URL)" rather than a stack trace. */
  static async connect(opts: BusOptions): Promise<Bus> {
    let nc: NatsConnection;
    try {
      nc = await connect({
        servers: opts.url.split(","),
        name: opts.name,
        maxReconnectAttempts: -1,
        reconnectTimeWait: 250,
        // No Error (with its captured stack) made up front for every request — a JetStream publish is
        // one — in case it fails: that was ~2% of a stage's CPU; failures still say what failed.
        noAsyncTraces: true,
        ...(opts.inboxPrefix === undefined ? {} : { inboxPrefix: opts.inboxPrefix }),
        ...(opts.user === undefined ? {} : { user: opts.user, pass: opts.password ?? "" }),
        ...(opts.credsFile === undefined ? {} : await credsAuth(opts.credsFile)),
      });
    } catch (err) {
      throw new UnavailableError(`cannot reach NATS at ${opts.url} (BATON_NATS_URL): ${(err as Error).message}`, { cause: err });
    }
    const jsm = await jetstreamManager(nc);
    return new Bus(nc, jetstream(nc), jsm, opts);
  }

  /** Creates or updates the event and dead-letter streams (idempotent); or checks they exist. */
  async ensureStreams(): Promise<void> {
    const s = this.subjects;
    if (this.opts.manageStreams === false) {
      const missing = [];
      for (const name of [s.eventsStream, s.dlqStream]) if (!(await this.streamExists(name))) missing.push(name);
      if (missing.length > 0) {
        throw new ConfigError(missing.map((name) => `JetStream stream ${name} does not exist: with BATON_MANAGE_STREAMS=false it is created by \`baton provision\` (an admin NATS user) first`));
      }
      return;
    }
    const days = this.opts.retentionDays ?? 30;
    await this.ensureStream({
      name: s.eventsStream,
      subjects: [s.allEvents],
      duplicate_window: nanos(this.opts.dedupWindowMs ?? 24 * 3_600_000),
      max_age: nanos(days * 86_400_000),
    });
    await this.ensureStream({ name: s.dlqStream, subjects: [s.allDeadLetters], duplicate_window: nanos(3_600_000), max_age: nanos(days * 86_400_000) });
  }

  private async ensureStream(cfg: { name: string; subjects: string[]; duplicate_window: number; max_age: number }): Promise<void> {
    const full = {
      ...cfg,
      storage: StorageType.File,
      retention: RetentionPolicy.Limits,
      discard: DiscardPolicy.Old,
      num_replicas: this.opts.replicas ?? 1,
    };
    try {
      await this.jsm.streams.info(cfg.name);
      await this.jsm.streams.update(cfg.name, full);
    } catch (err) {
      if (!isNotFound(err)) throw err;
      await this.jsm.streams.add(full).catch(async (e: unknown) => {
        if (!(await this.streamExists(cfg.name))) throw e; // a concurrent starter created it first
      });
    }
  }

  private async streamExists(name: string): Promise<boolean> {
    return this.jsm.streams.info(name).then(
      () => true,
      () => false,
    );
  }

  /** Publishes an event with its id as Nats-Msg-Id; a duplicate within the window is reported, not stored. */
  async publish(event: BatonEvent): Promise<PublishResult> {
    const h = headers();
    h.set("Baton-Event", event.name);
    if (event.traceparent !== undefined) h.set("traceparent", event.traceparent);
    const subject = this.subjects.event(event.name, event.data.namespace, event.data.app, event.data.releaseId);
    const ack = await this.js.publish(subject, encodeEvent(event), { msgID: event.id, headers: h });
    return { seq: ack.seq, duplicate: ack.duplicate };
  }

  /** Publishes an already-encoded event (a timer's payload) under a given dedup id. */
  async publishRaw(subject: string, payload: string, msgID: string): Promise<PublishResult> {
    const ack = await this.js.publish(subject, payload, { msgID });
    return { seq: ack.seq, duplicate: ack.duplicate };
  }

  /** Live progress of a release (core NATS, not stored): pods ready n/m, warm-up done, countdowns. */
  progress(releaseId: string, data: Record<string, unknown>): void {
    if (this.nc.isClosed()) return;
    this.nc.publish(this.subjects.progress(releaseId), JSON.stringify({ releaseId, at: new Date().toISOString(), ...data }));
  }

  /** Answers requests on a subject with a queue group shared by every replica. */
  serve(subject: string, queue: string, handle: (msg: Msg) => Promise<unknown>, log?: Logger): Subscription {
    return this.nc.subscribe(subject, {
      queue,
      callback: (err, msg) => {
        if (err) return log?.error({ err }, "subscription error");
        void handle(msg).then(
          (reply) => msg.reply && msg.respond(JSON.stringify(reply)),
          (e: unknown) => {
            log?.error({ err: e }, "request failed");
            if (msg.reply) msg.respond(JSON.stringify({ ok: false, error: (e as Error).message }));
          },
        );
      },
    });
  }

  /** Every stored message on a subject filter, in stream order (an ephemeral consumer, deleted after). */
  async readAll(stream: string, filter: string): Promise<{ seq: number; subject: string; data: string; time: string }[]> {
    const ci = await this.jsm.consumers.add(stream, {
      filter_subject: filter,
      ack_policy: AckPolicy.None,
      deliver_policy: DeliverPolicy.All,
      inactive_threshold: nanos(60_000),
      mem_storage: true,
    });
    const out: { seq: number; subject: string; data: string; time: string }[] = [];
    try {
      const consumer = await this.js.consumers.get(stream, ci.name);
      let pending = ci.num_pending;
      while (pending > 0) {
        const batch = await consumer.fetch({ max_messages: Math.min(pending, 1000), expires: 2000 });
        let got = 0;
        for await (const m of batch) {
          out.push({ seq: m.seq, subject: m.subject, data: m.string(), time: m.time.toISOString() });
          got++;
          pending = m.info.pending;
        }
        if (got === 0) break;
      }
    } finally {
      await this.jsm.consumers.delete(stream, ci.name).catch(() => undefined);
    }
    return out;
  }

  /** The events of one release, in the order the stream stored them. */
  async releaseEvents(releaseId: string): Promise<AnyEvent[]> {
    const raw = await this.readAll(this.subjects.eventsStream, this.subjects.ofRelease(releaseId));
    return raw.flatMap((m) => {
      const r = decodeEvent(m.data);
      return r.ok ? [r.value] : [];
    });
  }

  async close(): Promise<void> {
    if (this.nc.isClosed()) return;
    await this.nc.drain().catch(() => this.nc.close());
  }
}

function isNotFound(err: unknown): boolean {
  return err instanceof JetStreamApiError && err.code === JetStreamApiCodes.StreamNotFound;
}

async function credsAuth(path: string) {
  const { readFile } = await import("node:fs/promises");
  const { credsAuthenticator } = await import("@nats-io/transport-node");
  return { authenticator: credsAuthenticator(await readFile(path)) };
}
