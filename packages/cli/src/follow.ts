import { DeliverPolicy } from "@nats-io/jetstream";
import { decodeEvent, isTerminal, transition, type AnyEvent, type ReleaseState } from "@baton/contracts";
import type { Runtime } from "@baton/runtime";

// Follows one release from its first event to its end: every stored event (from the stream,
// through an ordered consumer) and the live progress the stages publish (core NATS).

export interface FollowHandlers {
  onEvent(event: AnyEvent, state: ReleaseState | undefined): void;
  onProgress?(progress: Record<string, unknown>): void;
}

export async function follow(rt: Runtime, releaseId: string, h: FollowHandlers, signal?: AbortSignal): Promise<ReleaseState | undefined> {
  const subs = rt.bus.subjects;
  const progress = rt.bus.nc.subscribe(subs.progress(releaseId), {
    callback: (err, msg) => {
      if (!err) h.onProgress?.(msg.json<Record<string, unknown>>());
    },
  });
  const consumer = await rt.bus.js.consumers.get(subs.eventsStream, {
    filter_subjects: subs.ofRelease(releaseId),
    deliver_policy: DeliverPolicy.All,
  });
  const messages = await consumer.consume();
  const stop = () => void messages.close();
  signal?.addEventListener("abort", stop, { once: true });
  let state: ReleaseState | undefined;
  try {
    for await (const m of messages) {
      const parsed = decodeEvent(m.string());
      if (!parsed.ok) continue;
      const r = transition(state, parsed.value);
      if (r.kind === "applied") state = r.state;
      h.onEvent(parsed.value, state);
      if (state !== undefined && isTerminal(state.phase)) break;
    }
  } finally {
    signal?.removeEventListener("abort", stop);
    progress.unsubscribe();
    await messages.close().catch(() => undefined);
  }
  return state;
}
