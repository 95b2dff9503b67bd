import {
  isTerminal,
  transition,
  type AnyEvent,
  type ReleaseState,
  type TransitionResult,
} from "@baton/contracts";
import { ConflictError } from "./errors.js";
import { redisKeys, type Redis, type RedisKeys } from "./redis.js";

// Release state in Redis: one hash per release { v: version, s: state JSON }, written only by
// compare-and-set on the version (Lua), which also checks the release's fence against the app's
// lock and releases the lock when the release ends.

const CAS = `
local v = tonumber(redis.call('HGET', KEYS[1], 'v') or '0')
if v ~= tonumber(ARGV[1]) then return {0, v} end
if ARGV[3] == '0' and ARGV[5] ~= '' then
  local lf = redis.call('HGET', KEYS[2], 'fence')
  if lf and lf ~= ARGV[5] then return {-1, tonumber(lf)} end
end
redis.call('HSET', KEYS[1], 'v', v + 1, 's', ARGV[2])
if ARGV[3] == '1' then
  if redis.call('HGET', KEYS[2], 'rid') == ARGV[4] then redis.call('DEL', KEYS[2]) end
  redis.call('PEXPIRE', KEYS[1], ARGV[6])
end
return {1, v + 1}`;

// KEYS: lock, fence counter, state key of the current holder (or any key of the slot).
// ARGV: release id, the holder read before the call ('' for none).
const LOCK = `
local holder = redis.call('HGET', KEYS[1], 'rid')
if holder == ARGV[1] then return {1, tonumber(redis.call('HGET', KEYS[1], 'fence'))} end
if (holder or '') ~= ARGV[2] then return {-1, holder} end
if holder and redis.call('EXISTS', KEYS[3]) == 1 then return {0, holder} end
local fence = redis.call('INCR', KEYS[2])
redis.call('HSET', KEYS[1], 'rid', ARGV[1], 'fence', fence)
return {1, fence}`;

// KEYS: revisions hash, revision counter. ARGV: release id, floor (highest revision seen in the cluster).
const REVISION = `
local r = redis.call('HGET', KEYS[1], ARGV[1])
if r then return tonumber(r) end
local cur = tonumber(redis.call('GET', KEYS[2]) or '0')
local floor = tonumber(ARGV[2])
if floor > cur then cur = floor end
cur = cur + 1
redis.call('SET', KEYS[2], cur)
redis.call('HSET', KEYS[1], ARGV[1], cur)
return cur`;

interface BatonRedis extends Redis {
  batonCas(state: string, lock: string, version: number, json: string, terminal: string, rid: string, fence: string, retentionMs: number): Promise<[number, number]>;
  batonLock(lock: string, fence: string, holderState: string, rid: string, holder: string): Promise<[number, number | string]>;
  batonRevision(revs: string, counter: string, rid: string, floor: number): Promise<number>;
}

export interface StoredRelease {
  readonly state: ReleaseState;
  readonly version: number;
}

export type ApplyResult = TransitionResult;

export type LockResult = { ok: true; fence: number } | { ok: false; holder: string };

const MAX_CAS_ATTEMPTS = 50;
/** Release ids whose hash tag this process remembers (a release's tag never changes). */
const TAG_CACHE_SIZE = 10_000;

export class ReleaseStore {
  private readonly redis: BatonRedis;
  readonly keys: RedisKeys;
  private readonly retentionMs: number;
  /** release id → hash tag: saves the `where` lookup of get() (one Redis round trip per call). */
  private readonly tags = new Map<string, string>();

  constructor(redis: Redis, prefix: string, retentionDays = 30) {
    this.keys = redisKeys(prefix);
    this.retentionMs = retentionDays * 86_400_000;
    if (!("batonCas" in redis)) {
      redis.defineCommand("batonCas", { numberOfKeys: 2, lua: CAS });
      redis.defineCommand("batonLock", { numberOfKeys: 3, lua: LOCK });
      redis.defineCommand("batonRevision", { numberOfKeys: 2, lua: REVISION });
    }
    this.redis = redis as BatonRedis;
  }

  /** The stored state of a release, or null when Redis has none. */
  async get(releaseId: string): Promise<StoredRelease | null> {
    const known = this.tags.get(releaseId);
    if (known !== undefined) return this.read(known, releaseId);
    const tag = await this.redis.hget(this.keys.where, releaseId);
    if (tag === null) return null;
    this.remember(releaseId, tag);
    return this.read(tag, releaseId);
  }

  /** The stored state of an event's release, read where its events are applied (one round trip). */
  async getOf(event: AnyEvent): Promise<StoredRelease | null> {
    return this.read(this.keys.tag(event.data.namespace, event.data.app), event.data.releaseId);
  }

  /**
   * The release's state with this event applied, for readers that follow the stream (the console,
   * the notifier): as stored when it is; else as the reducer makes it — whoever published the event
   * records it right after the publish, so a reader can be a moment ahead of Redis. Null when the
   * release has no state and the event cannot start one.
   */
  async stateWith(event: AnyEvent): Promise<ReleaseState | null> {
    const stored = (await this.getOf(event))?.state;
    if (stored?.applied.includes(event.id)) return stored;
    const r = transition(stored, event);
    return r.kind === "refused" ? (stored ?? null) : r.state;
  }

  private remember(releaseId: string, tag: string): void {
    if (this.tags.size >= TAG_CACHE_SIZE) this.tags.delete(this.tags.keys().next().value as string);
    this.tags.set(releaseId, tag);
  }

  private async read(tag: string, releaseId: string): Promise<StoredRelease | null> {
    const [v, s] = await this.redis.hmget(this.keys.state(tag, releaseId), "v", "s");
    if (v == null || s == null) return null;
    return { version: Number(v), state: JSON.parse(s) as ReleaseState };
  }

  /**
   * Applies an event to its release: load, reduce, compare-and-set, again on conflict.
   * An event applied twice is a duplicate (nothing written); a refusal carries its reason.
   * `read` is a snapshot just read with {@link getOf} (saves a round trip): the compare-and-set
   * checks its version, and a stale one is read again; a duplicate or a refusal is only ever
   * decided on a fresh read.
   */
  async apply(event: AnyEvent, read?: StoredRelease | null): Promise<ApplyResult> {
    const { releaseId, app, namespace } = event.data;
    const tag = this.keys.tag(namespace, app);
    let snapshot = read;
    for (let attempt = 0; attempt < MAX_CAS_ATTEMPTS; attempt++) {
      const fromSnapshot = snapshot !== undefined;
      const stored = fromSnapshot ? (snapshot as StoredRelease | null) : await this.read(tag, releaseId);
      snapshot = undefined;
      const r = transition(stored?.state, event);
      if (r.kind !== "applied") {
        if (fromSnapshot) continue; // only a write checks a snapshot's version: decide a refusal on a fresh read
        return r;
      }
      if (stored === null) await this.index(tag, releaseId, r.state.createdAt);
      const [ok, detail] = await this.redis.batonCas(
        this.keys.state(tag, releaseId),
        this.keys.lock(tag),
        stored?.version ?? 0,
        JSON.stringify(r.state),
        isTerminal(r.state.phase) ? "1" : "0",
        releaseId,
        r.state.fence === null ? "" : String(r.state.fence),
        this.retentionMs,
      );
      if (ok === 1) {
        this.remember(releaseId, tag);
        return r;
      }
      if (ok === -1) {
        return { kind: "refused", reason: `${event.name} refused: fenced by a newer release of ${tag} (fence ${detail} > ${r.state.fence})` };
      }
    }
    throw new ConflictError(`state of release ${releaseId} kept changing under ${MAX_CAS_ATTEMPTS} compare-and-set attempts`);
  }

  private async index(tag: string, releaseId: string, createdAt: string): Promise<void> {
    await Promise.all([
      this.redis.hsetnx(this.keys.where, releaseId, tag),
      this.redis.zadd(this.keys.index, "NX", Date.parse(createdAt), releaseId),
    ]);
  }

  /**
   * Takes the app's release lock for a release (one release of an app at a time). Taking it again
   * returns the same fence; a lock whose holder has no state left (lost) is taken over.
   */
  async acquireLock(namespace: string, app: string, releaseId: string): Promise<LockResult> {
    const tag = this.keys.tag(namespace, app);
    for (let attempt = 0; attempt < MAX_CAS_ATTEMPTS; attempt++) {
      const holder = (await this.redis.hget(this.keys.lock(tag), "rid")) ?? "";
      const holderState = holder === "" ? this.keys.lock(tag) : this.keys.state(tag, holder);
      const [ok, detail] = await this.redis.batonLock(this.keys.lock(tag), this.keys.fence(tag), holderState, releaseId, holder);
      if (ok === 1) return { ok: true, fence: Number(detail) };
      if (ok === 0) return { ok: false, holder: String(detail) };
    }
    throw new ConflictError(`lock of ${tag} kept changing hands`);
  }

  /** The release holding the app's lock, with its fence. */
  async lockHolder(namespace: string, app: string): Promise<{ releaseId: string; fence: number } | null> {
    const [rid, fence] = await this.redis.hmget(this.keys.lock(this.keys.tag(namespace, app)), "rid", "fence");
    return rid == null ? null : { releaseId: rid, fence: Number(fence) };
  }

  /** True when a newer release of the app holds the lock: this one must change nothing. */
  async isFenced(state: ReleaseState): Promise<boolean> {
    if (!fenceable(state)) return false; // no lock to read
    return fencedBy(state, await this.lockHolder(state.namespace, state.app));
  }

  /** The revision of a release: one more than any the app had (in the cluster or here); stable on retry. */
  async allocateRevision(namespace: string, app: string, releaseId: string, floor: number): Promise<number> {
    const tag = this.keys.tag(namespace, app);
    return this.redis.batonRevision(this.keys.revisions(tag), this.keys.revisionCounter(tag), releaseId, floor);
  }

  /** The most recent releases, newest first. */
  async list(limit = 50): Promise<ReleaseState[]> {
    const ids = await this.redis.zrevrange(this.keys.index, 0, limit - 1);
    const states = await Promise.all(ids.map((id) => this.get(id)));
    return states.flatMap((s) => (s === null ? [] : [s.state]));
  }
}

/** {@link ReleaseStore.isFenced} against a lock holder already read. */
export function fencedBy(state: ReleaseState, holder: { readonly fence: number } | null): boolean {
  return fenceable(state) && holder !== null && holder.fence !== state.fence;
}

/** A release that holds (or held) its app's lock and has not ended: a newer one can fence it. */
function fenceable(state: ReleaseState): state is ReleaseState & { fence: number; app: string; namespace: string } {
  return state.fence !== null && state.app !== null && state.namespace !== null && !isTerminal(state.phase);
}
