import { startTimerPump, type OpenRuntime } from "@baton/runtime";
import { makeEvent, encodeEvent } from "@baton/contracts";
import { progress, summarize, type Summary } from "./lib/stats.js";

// Timers: N deadlines pending at once, due over a spread of a few seconds, fired by one pump (as
// in production, where every service process runs one). Lateness = when the event reached the
// stream (its JetStream timestamp) minus when it was due; both clocks are this machine's.

export interface TimerResult {
  readonly count: number;
  readonly fired: number;
  readonly lateness: Summary;
}

export async function measureTimers(rt: OpenRuntime, count: number, spreadMs: number): Promise<TimerResult> {
  const s = rt.bus.subjects;
  await rt.bus.ensureStreams();
  const base = Date.now() + 1500; // all added before the first is due
  const due = new Map<string, number>();
  const adds: Promise<unknown>[] = [];
  for (let i = 0; i < count; i++) {
    const at = base + Math.floor((i * spreadMs) / count);
    const event = makeEvent("ShutdownDue", { releaseId: `bench-timer-${i}`, app: "bench", namespace: "bench", revision: 1 }, { source: "timer", time: new Date(at).toISOString() });
    due.set(event.id, at);
    const subject = s.event("ShutdownDue", "bench", "bench", event.data.releaseId);
    adds.push(rt.timers.add({ id: event.id, payload: JSON.stringify({ subject, event: encodeEvent(event) }), atMs: at }));
    if (adds.length >= 500) await Promise.all(adds.splice(0));
  }
  await Promise.all(adds);
  if (Date.now() > base) progress(`warning: adding ${count} timers took past the first due time`);
  const pump = startTimerPump(rt);
  const stream = s.eventsStream;
  const deadline = base + spreadMs + 30_000;
  const lateness: number[] = [];
  try {
    while (Date.now() < deadline) {
      const info = await rt.bus.jsm.streams.info(stream);
      if (info.state.messages >= count) break;
      await new Promise((r) => setTimeout(r, 200));
    }
  } finally {
    await pump.stop();
  }
  for (const m of await rt.bus.readAll(stream, s.allEvents)) {
    const id = (JSON.parse(m.data) as { id: string }).id;
    const at = due.get(id);
    if (at !== undefined) lateness.push(Date.parse(m.time) - at);
  }
  return { count, fired: lateness.length, lateness: summarize(lateness) };
}
