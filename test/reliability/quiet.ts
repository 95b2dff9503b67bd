import type { Runtime } from "@baton/runtime";
import { waitFor } from "@baton/runtime/testing";

// "The stages have handled everything": every durable consumer of the event stream has been
// delivered up to the stream's last message and has nothing waiting for an ack.

export async function consumersIdle(rt: Runtime): Promise<boolean> {
  const stream = rt.bus.subjects.eventsStream;
  for await (const c of rt.bus.jsm.consumers.list(stream)) {
    if (c.config.durable_name === undefined) continue; // an ephemeral reader (readAll)
    if (c.num_pending > 0 || c.num_ack_pending > 0) return false;
  }
  return true;
}

/** Waits until every stage consumer is idle twice in a row (a handler may emit while we look). */
export async function waitQuiet(rt: Runtime, timeoutMs = 20_000): Promise<void> {
  let streak = 0;
  await waitFor("every stage consumer to be idle", async () => {
    streak = (await consumersIdle(rt)) ? streak + 1 : 0;
    return streak >= 3;
  }, timeoutMs, 100);
}
