import { randomBytes } from "node:crypto";
import { configWith, type Config } from "../config.js";
import { createLogger, type Logger } from "../logger.js";
import { openRuntime, type OpenRuntime } from "../service.js";

/** A prefix no other test uses: its own streams, subjects and Redis keys. */
export function uniquePrefix(label = "t"): string {
  return `${label.toLowerCase().replace(/[^a-z0-9]/g, "")}${randomBytes(4).toString("hex")}`.replace(/^[^a-z]/, "t");
}

/** A config on the local NATS and Redis (or BATON_TEST_NATS_URL / BATON_TEST_REDIS_URL) with a unique prefix. */
export function testConfig(overrides: Record<string, string | number | undefined> = {}): Config {
  return configWith({
    BATON_NATS_URL: process.env.BATON_TEST_NATS_URL ?? "nats://127.0.0.1:4222",
    BATON_REDIS_URL: process.env.BATON_TEST_REDIS_URL ?? "redis://127.0.0.1:6379",
    BATON_PREFIX: uniquePrefix(),
    BATON_HTTP_PORT: 0,
    BATON_HTTP_HOST: "127.0.0.1",
    BATON_LOG_LEVEL: process.env.BATON_TEST_LOG_LEVEL ?? "silent",
    BATON_ACK_WAIT_MS: 5000,
    BATON_DEDUP_WINDOW_MS: 600_000,
    ...overrides,
  });
}

export interface TestRuntime extends OpenRuntime {
  /** Deletes the test's streams and Redis keys, then disconnects. */
  cleanup(): Promise<void>;
}

export async function openTestRuntime(
  name = "test",
  config: Config = testConfig(),
  log: Logger = createLogger({ service: name, level: config.BATON_LOG_LEVEL }),
): Promise<TestRuntime> {
  const rt = await openRuntime(config, { name, log });
  return {
    ...rt,
    async cleanup() {
      const s = rt.bus.subjects;
      await rt.bus.jsm.streams.delete(s.eventsStream).catch(() => undefined);
      await rt.bus.jsm.streams.delete(s.dlqStream).catch(() => undefined);
      let cursor = "0";
      do {
        const [next, keys] = await rt.redis.scan(cursor, "MATCH", `${config.BATON_PREFIX}:*`, "COUNT", 1000);
        if (keys.length > 0) await rt.redis.del(...keys);
        cursor = next;
      } while (cursor !== "0");
      await rt.close();
    },
  };
}
