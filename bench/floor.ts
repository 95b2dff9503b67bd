import { AckPolicy, DeliverPolicy, StorageType } from "@nats-io/jetstream";
import { nanos } from "@nats-io/transport-node";
import type { OpenRuntime } from "@baton/runtime";
import { msSince, summarize, type Summary } from "./lib/stats.js";

// The floor: one stage hop done by hand, with nothing of Baton's in the way — a JetStream publish
// with a dedup id, delivery to a durable pull consumer, a Redis compare-and-set by EVALSHA on a
// version number, and the ack confirmed by the server. A Baton stage hop does this and its own
// work; the pipeline's figures are quoted as multiples of this one.

const CAS = `
local v = tonumber(redis.call('HGET', KEYS[1], 'v') or '0')
if v ~= tonumber(ARGV[1]) then return -1 end
redis.call('HSET', KEYS[1], 'v', v + 1, 'state', ARGV[2])
return v + 1`;

export interface FloorResult {
  readonly hop: Summary;
}

export async function measureFloor(rt: OpenRuntime, hops: number): Promise<FloorResult> {
  const prefix = `${rt.config.BATON_PREFIX}_floor`;
  const stream = `${prefix.toUpperCase()}_HOP`;
  await rt.bus.jsm.streams.add({ name: stream, subjects: [`${prefix}.hop.>`], storage: StorageType.File, duplicate_window: nanos(60_000) });
  await rt.bus.jsm.consumers.add(stream, { durable_name: "hop", ack_policy: AckPolicy.Explicit, deliver_policy: DeliverPolicy.All, filter_subject: `${prefix}.hop.>` });
  const consumer = await rt.bus.js.consumers.get(stream, "hop");
  const sha = (await rt.redis.script("LOAD", CAS)) as string;
  const key = `${prefix}:{floor}:state`;
  const state = "x".repeat(200);
  const samples: number[] = [];
  try {
    const messages = await consumer.consume({ max_messages: 64 });
    const it = messages[Symbol.asyncIterator]();
    for (let i = 0; i < hops; i++) {
      const start = process.hrtime.bigint();
      await rt.bus.js.publish(`${prefix}.hop.${i}`, state, { msgID: `hop-${i}` });
      const next = await it.next();
      if (next.done) throw new Error("the floor consumer stopped");
      const version = Number(await rt.redis.evalsha(sha, 1, key, i, state));
      if (version !== i + 1) throw new Error(`compare-and-set lost: expected version ${i + 1}, got ${version}`);
      await next.value.ackAck();
      if (i >= Math.min(50, hops / 10)) samples.push(msSince(start)); // after a warm-up
    }
    messages.stop();
  } finally {
    await rt.bus.jsm.streams.delete(stream).catch(() => undefined);
    await rt.redis.del(key);
  }
  return { hop: summarize(samples) };
}
