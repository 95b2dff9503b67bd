import { redisKeys, type Redis, type RedisKeys } from "./redis.js";

// Timers: a sorted set of deadlines (score = due time in ms, read from Redis TIME, never the host
// clock). A pump claims due timers with a lease (moved to an in-flight set in one script),
// publishes each timer's event with the timer id as Nats-Msg-Id, and deletes it only after the
// publish is acknowledged; a lease that runs out puts the timer back. So a crash anywhere fires a
// timer at least once, the dedup window makes that once, and several pumps never fire it twice.
// A fired timer leaves a tombstone for a day: adding it again is a no-op, like adding one that exists.

// KEYS: due, data, fired. ARGV: id, payload, delay ms ('' when absolute), due at ms ('' when relative).
const ADD = `
if redis.call('HEXISTS', KEYS[2], ARGV[1]) == 1 or redis.call('ZSCORE', KEYS[3], ARGV[1]) then return 0 end
local due
if ARGV[3] ~= '' then
  local t = redis.call('TIME')
  due = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000) + tonumber(ARGV[3])
else
  due = tonumber(ARGV[4])
end
redis.call('HSET', KEYS[2], ARGV[1], ARGV[2])
redis.call('ZADD', KEYS[1], due, ARGV[1])
return due`;

// KEYS: due, lease, data, fired. ARGV: limit, lease ms, tombstone ttl ms.
// Returns { now, nextDue, leaseUntil, id1, due1, payload1, ... }. A due id whose payload is gone
// (it cannot be fired) is done: it leaves a tombstone instead of failing every claim for ever.
const CLAIM = `
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
local expired = redis.call('ZRANGEBYSCORE', KEYS[2], '-inf', now)
for _, id in ipairs(expired) do
  redis.call('ZREM', KEYS[2], id)
  redis.call('ZADD', KEYS[1], now, id)
end
local leaseUntil = now + tonumber(ARGV[2])
local due = redis.call('ZRANGEBYSCORE', KEYS[1], '-inf', now, 'WITHSCORES', 'LIMIT', 0, tonumber(ARGV[1]))
local out = { tostring(now), '', tostring(leaseUntil) }
local lost = false
for i = 1, #due, 2 do
  local id = due[i]
  redis.call('ZREM', KEYS[1], id)
  local payload = redis.call('HGET', KEYS[3], id)
  if payload then
    redis.call('ZADD', KEYS[2], leaseUntil, id)
    table.insert(out, id)
    table.insert(out, due[i + 1])
    table.insert(out, payload)
  else
    redis.call('ZADD', KEYS[4], now, id)
    lost = true
  end
end
if lost then redis.call('ZREMRANGEBYSCORE', KEYS[4], '-inf', now - tonumber(ARGV[3])) end
local nxt = redis.call('ZRANGE', KEYS[1], 0, 0, 'WITHSCORES')
if nxt[2] then out[2] = nxt[2] end
return out`;

// KEYS: lease, data, fired. ARGV: id, tombstone ttl ms, the lease the caller holds (its end, ms).
// Only the holder of the current lease deletes the timer: a pump that stalled past its lease finds
// the timer re-queued (or leased by another pump) and leaves it to that pump.
const ACK = `
local held = redis.call('ZSCORE', KEYS[1], ARGV[1])
if not held or tonumber(held) ~= tonumber(ARGV[3]) then return 0 end
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
redis.call('ZREM', KEYS[1], ARGV[1])
redis.call('HDEL', KEYS[2], ARGV[1])
redis.call('ZADD', KEYS[3], now, ARGV[1])
redis.call('ZREMRANGEBYSCORE', KEYS[3], '-inf', now - tonumber(ARGV[2]))
return 1`;

// KEYS: due, lease, data, fired. ARGV: id, tombstone ttl ms. A cancelled timer leaves a tombstone
// like a fired one: adding it again (a late re-arm) is a no-op.
const CANCEL = `
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
redis.call('ZREM', KEYS[1], ARGV[1])
redis.call('ZREM', KEYS[2], ARGV[1])
redis.call('ZADD', KEYS[4], now, ARGV[1])
redis.call('ZREMRANGEBYSCORE', KEYS[4], '-inf', now - tonumber(ARGV[2]))
return redis.call('HDEL', KEYS[3], ARGV[1])`;

const TOMBSTONE_MS = 86_400_000;

interface TimerRedis extends Redis {
  batonTimerAdd(due: string, data: string, fired: string, id: string, payload: string, delay: string, at: string): Promise<number>;
  batonTimerClaim(due: string, lease: string, data: string, fired: string, limit: number, leaseMs: number, ttlMs: number): Promise<string[]>;
  batonTimerAck(lease: string, data: string, fired: string, id: string, ttlMs: number, leaseUntil: number): Promise<number>;
  batonTimerCancel(due: string, lease: string, data: string, fired: string, id: string, ttlMs: number): Promise<number>;
}

export interface DueTimer {
  readonly id: string;
  readonly dueAt: number;
  readonly payload: string;
  /** Redis time when it was claimed (ms). */
  readonly claimedAt: number;
  /** When the claim's lease runs out (Redis time, ms): it also names the claim, for {@link TimerStore.ack}. */
  readonly leaseUntil: number;
}

export type TimerSpec = { id: string; payload: string } & ({ inMs: number } | { atMs: number });

export class TimerStore {
  private readonly redis: TimerRedis;
  readonly keys: RedisKeys;
  private readonly added = new Set<(dueAt: number) => void>();

  constructor(redis: Redis, prefix: string) {
    this.keys = redisKeys(prefix);
    if (!("batonTimerAdd" in redis)) {
      redis.defineCommand("batonTimerAdd", { numberOfKeys: 3, lua: ADD });
      redis.defineCommand("batonTimerClaim", { numberOfKeys: 4, lua: CLAIM });
      redis.defineCommand("batonTimerAck", { numberOfKeys: 3, lua: ACK });
      redis.defineCommand("batonTimerCancel", { numberOfKeys: 4, lua: CANCEL });
    }
    this.redis = redis as TimerRedis;
  }

  /** Adds a timer due in `inMs` (from Redis' clock) or at `atMs`; false when it exists or has fired. */
  async add(timer: TimerSpec): Promise<boolean> {
    const k = this.keys;
    const delay = "inMs" in timer ? String(Math.max(0, Math.round(timer.inMs))) : "";
    const at = "atMs" in timer ? String(timer.atMs) : "";
    const due = await this.redis.batonTimerAdd(k.timersDue, k.timersData, k.timersFired, timer.id, timer.payload, delay, at);
    if (due <= 0) return false;
    for (const listener of this.added) listener(due);
    return true;
  }

  /**
   * Calls `listener` with the due time (Redis clock, ms) of every timer this process adds, so a
   * pump here can fire a timer due before its next poll on time. Returns the unsubscribe.
   */
  onAdded(listener: (dueAt: number) => void): () => void {
    this.added.add(listener);
    return () => this.added.delete(listener);
  }

  /** Claims up to `limit` due timers for `leaseMs`; also puts back timers whose lease ran out. */
  async claim(limit: number, leaseMs: number): Promise<{ now: number; nextDueAt: number | null; timers: DueTimer[] }> {
    const k = this.keys;
    const out = await this.redis.batonTimerClaim(k.timersDue, k.timersLease, k.timersData, k.timersFired, limit, leaseMs, TOMBSTONE_MS);
    const now = Number(out[0]);
    const leaseUntil = Number(out[2]);
    const timers: DueTimer[] = [];
    for (let i = 3; i + 2 < out.length; i += 3) {
      timers.push({ id: out[i] as string, dueAt: Number(out[i + 1]), payload: out[i + 2] as string, claimedAt: now, leaseUntil });
    }
    return { now, nextDueAt: out[1] === "" ? null : Number(out[1]), timers };
  }

  /**
   * Deletes a fired timer, after its event was acknowledged by JetStream, while the claim's lease
   * still holds; false when it ran out (the timer was put back or claimed again: its new holder
   * fires it, and JetStream drops the second publish).
   */
  async ack(timer: Pick<DueTimer, "id" | "leaseUntil">): Promise<boolean> {
    const k = this.keys;
    return (await this.redis.batonTimerAck(k.timersLease, k.timersData, k.timersFired, timer.id, TOMBSTONE_MS, timer.leaseUntil)) === 1;
  }

  async cancel(id: string): Promise<boolean> {
    const k = this.keys;
    return (await this.redis.batonTimerCancel(k.timersDue, k.timersLease, k.timersData, k.timersFired, id, TOMBSTONE_MS)) > 0;
  }

  async pending(): Promise<number> {
    const [due, lease] = await Promise.all([this.redis.zcard(this.keys.timersDue), this.redis.zcard(this.keys.timersLease)]);
    return due + lease;
  }
}
