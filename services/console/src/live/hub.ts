import { DeliverPolicy } from "@nats-io/jetstream";
import type { ConsumerMessages } from "@nats-io/jetstream";
import type { Subscription } from "@nats-io/transport-node";
import { decodeEvent, type DeadLetterView, type ReleaseState, type StreamMessage } from "@baton/contracts";
import { messageOf, type Logger, type Runtime } from "@baton/runtime";
import { deadLetterView, eventView, summaryOf } from "../api/views.js";

// The live side of one console process: it follows the event stream from now on (an ordered
// consumer: ephemeral, so every replica has its own and none keeps state), the stages' live
// progress (core NATS), and the dead-letter stream (all of it, then what comes), and hands each
// page what changed. Nothing here asks Kubernetes or polls anything: a release started from the
// CLI reaches an open page as its first event is stored.

/** A change, with the namespace it belongs to (pages see only their viewer's namespaces). */
export interface HubMessage {
  readonly message: StreamMessage;
  readonly namespace: string | null;
  /** The release's state after the change ("release" messages), to offer the right actions. */
  readonly state?: ReleaseState;
}

export type HubListener = (m: HubMessage) => void;

/** Dead letters kept in memory for the list and the "needs attention" filter (the newest). */
const MAX_LETTERS = 1000;
/** Releases whose namespace is remembered, to route their progress without a Redis read. */
const MAX_NAMESPACES = 10_000;

export class LiveHub {
  private readonly listeners = new Set<HubListener>();
  private readonly letters: DeadLetterView[] = [];
  private readonly namespaces = new Map<string, string | null>();
  private readonly loops: Promise<void>[] = [];
  private readonly closers: (() => Promise<void>)[] = [];
  private stopped = false;

  constructor(
    private readonly rt: Runtime,
    private readonly log: Logger,
  ) {}

  async start(): Promise<void> {
    const s = this.rt.bus.subjects;
    const events = await this.ordered(s.eventsStream, s.allEvents, DeliverPolicy.New);
    this.loops.push(this.drain(events, (text) => this.onEvent(text)));
    const letters = await this.ordered(s.dlqStream, s.allDeadLetters, DeliverPolicy.All);
    this.loops.push(this.drain(letters, async (text, seq) => this.onDeadLetter(text, seq)));
    const progress: Subscription = this.rt.bus.nc.subscribe(s.allProgress, {
      callback: (err, msg) => {
        if (!err) void this.onProgress(msg.string());
      },
    });
    this.closers.push(async () => progress.unsubscribe());
  }

  subscribe(listener: HubListener): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  /** Dead letters seen so far, oldest first. */
  deadLetters(): readonly DeadLetterView[] {
    return this.letters;
  }

  deadLetterReleases(): ReadonlySet<string> {
    return new Set(this.letters.flatMap((l) => (l.releaseId === null ? [] : [l.releaseId])));
  }

  async stop(): Promise<void> {
    this.stopped = true;
    await Promise.all(this.closers.map((c) => c().catch(() => undefined)));
    await Promise.all(this.loops);
    this.listeners.clear();
  }

  private async ordered(stream: string, filter: string, deliver: DeliverPolicy): Promise<ConsumerMessages> {
    const consumer = await this.rt.bus.js.consumers.get(stream, { filter_subjects: filter, deliver_policy: deliver });
    const messages = await consumer.consume();
    this.closers.push(async () => void (await messages.close()));
    return messages;
  }

  private async drain(messages: ConsumerMessages, handle: (text: string, seq: number) => Promise<void>): Promise<void> {
    try {
      for await (const m of messages) {
        try {
          await handle(m.string(), m.seq);
        } catch (err) {
          this.log.warn({ err: messageOf(err), subject: m.subject }, "live update skipped");
        }
      }
    } catch (err) {
      if (!this.stopped) this.log.error({ err: messageOf(err) }, "live stream ended");
    }
  }

  /**
   * An event was stored. Its release's state is read from Redis; the stage that published it
   * records it right after the publish, so when Redis does not have it yet the same reducer the
   * stages use applies it here — the page sees the state the stage is about to write.
   */
  private async onEvent(text: string): Promise<void> {
    const parsed = decodeEvent(text);
    if (!parsed.ok) return;
    const event = parsed.value;
    const state = await this.rt.store.stateWith(event);
    const namespace = event.data.namespace;
    this.remember(event.data.releaseId, namespace);
    this.publish({ message: { type: "event", releaseId: event.data.releaseId, event: eventView(event) }, namespace });
    if (state !== null) {
      const release = summaryOf(state, { deadLetters: this.deadLetterReleases() });
      this.publish({ message: { type: "release", release }, namespace, state });
    }
  }

  private async onDeadLetter(text: string, seq: number): Promise<void> {
    const raw = JSON.parse(text) as Parameters<typeof deadLetterView>[0];
    const letter = deadLetterView({ ...raw, seq });
    this.letters.push(letter);
    if (this.letters.length > MAX_LETTERS) this.letters.shift();
    this.publish({ message: { type: "dead-letter", letter }, namespace: letter.namespace });
    if (letter.releaseId === null) return;
    // The release now needs attention: its row changes.
    const stored = await this.rt.store.get(letter.releaseId);
    if (stored === null) return;
    const release = summaryOf(stored.state, { deadLetters: this.deadLetterReleases() });
    this.publish({ message: { type: "release", release }, namespace: stored.state.namespace, state: stored.state });
  }

  private async onProgress(text: string): Promise<void> {
    let progress: Record<string, unknown>;
    try {
      progress = JSON.parse(text) as Record<string, unknown>;
    } catch {
      return;
    }
    const releaseId = progress.releaseId;
    if (typeof releaseId !== "string") return;
    this.publish({ message: { type: "progress", releaseId, progress }, namespace: await this.namespaceOf(releaseId) });
  }

  private async namespaceOf(releaseId: string): Promise<string | null> {
    if (this.namespaces.has(releaseId)) return this.namespaces.get(releaseId) ?? null;
    const namespace = (await this.rt.store.get(releaseId).catch(() => null))?.state.namespace ?? null;
    this.remember(releaseId, namespace);
    return namespace;
  }

  private remember(releaseId: string, namespace: string | null): void {
    if (this.namespaces.has(releaseId)) return;
    if (this.namespaces.size >= MAX_NAMESPACES) this.namespaces.delete(this.namespaces.keys().next().value as string);
    this.namespaces.set(releaseId, namespace);
  }

  private publish(m: HubMessage): void {
    for (const l of this.listeners) {
      try {
        l(m);
      } catch (err) {
        this.log.warn({ err: messageOf(err) }, "live listener failed");
      }
    }
  }
}
