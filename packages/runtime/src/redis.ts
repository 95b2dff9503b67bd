import { Redis } from "ioredis";
import { UnavailableError } from "./errors.js";

export type { Redis } from "ioredis";

/** Key names. An app's lock and its releases' state share the hash tag `{<ns>/<app>}`, so every
 *  Lua script touches one hash slot and the same code runs on Redis Cluster. */
export function redisKeys(prefix: string) {
  const tagged = (tag: string, rest: string) => `${prefix}:{${tag}}:${rest}`;
  return {
    tag: (namespace: string | null, app: string | null) => `${namespace ?? "_"}/${app ?? "_"}`,
    state: (tag: string, releaseId: string) => tagged(tag, `rel:${releaseId}`),
    statePrefix: (tag: string) => tagged(tag, "rel:"),
    lock: (tag: string) => tagged(tag, "lock"),
    fence: (tag: string) => tagged(tag, "fence"),
    revisions: (tag: string) => tagged(tag, "revs"),
    revisionCounter: (tag: string) => tagged(tag, "rev"),
    /** Recent releases, score = creation time (ms). */
    index: `${prefix}:index`,
    /** release id → its hash tag, so a release is found by id alone. */
    where: `${prefix}:where`,
    timersDue: `${prefix}:{timers}:due`,
    timersLease: `${prefix}:{timers}:lease`,
    timersData: `${prefix}:{timers}:data`,
    timersFired: `${prefix}:{timers}:fired`,
  };
}
export type RedisKeys = ReturnType<typeof redisKeys>;

/** Connects to Redis and fails with a message a person can act on when it cannot. */
export async function connectRedis(url: string, name: string): Promise<Redis> {
  const redis = new Redis(url, { connectionName: name, enableAutoPipelining: true, maxRetriesPerRequest: 3, lazyConnect: true });
  redis.on("error", () => {}); // reconnects on its own; commands fail and are retried by the bus
  try {
    await redis.connect();
  } catch (err) {
    redis.disconnect();
    throw new UnavailableError(`cannot reach Redis at ${safeUrl(url)} (BATON_REDIS_URL): ${(err as Error).message}`, { cause: err });
  }
  return redis;
}

function safeUrl(url: string): string {
  return url.replace(/\/\/([^:@/]*):[^@/]*@/, "//$1:***@");
}
