import { DEFAULT_DEADLINES } from "@baton/contracts";
import { Bus } from "./bus.js";
import { loadConfig, type Config } from "./config.js";
import { BatonError, ConfigError, messageOf } from "./errors.js";
import { startHealthServer } from "./http.js";
import { createLogger, type Logger } from "./logger.js";
import { createMetrics, type Metrics } from "./metrics.js";
import { connectRedis, type Redis } from "./redis.js";
import { deadlinesOf, type Runtime } from "./runtime.js";
import { startStage, type StageDefinition } from "./stage.js";
import { ReleaseStore } from "./store.js";
import { startTimerPump } from "./timer-pump.js";
import { startTracing } from "./tracing.js";
import { TimerStore } from "./timers.js";

// Wiring shared by every service's main.ts and by `baton dev`: connections, runtime, stages, the
// timer pump, the health server, and a graceful shutdown on SIGTERM that finishes in-flight work.

export interface OpenRuntime extends Runtime {
  readonly redis: Redis;
  close(): Promise<void>;
}

export interface OpenOptions {
  readonly name: string;
  readonly log?: Logger;
  readonly metrics?: Metrics;
  readonly clock?: () => Date;
}

/** Connects to NATS and Redis, ensures the streams, and returns the shared runtime. */
export async function openRuntime(config: Config, opts: OpenOptions): Promise<OpenRuntime> {
  const log = opts.log ?? createLogger({ service: opts.name, level: config.BATON_LOG_LEVEL, pretty: config.BATON_LOG_PRETTY });
  const bus = await Bus.connect({
    url: config.BATON_NATS_URL,
    prefix: config.BATON_PREFIX,
    name: `baton-${opts.name}`,
    dedupWindowMs: config.BATON_DEDUP_WINDOW_MS,
    retentionDays: config.BATON_RETENTION_DAYS,
    replicas: config.BATON_STREAM_REPLICAS,
    manageStreams: config.BATON_MANAGE_STREAMS,
    ...(config.BATON_NATS_CREDS === undefined ? {} : { credsFile: config.BATON_NATS_CREDS }),
    ...(config.BATON_NATS_USER === undefined ? {} : { user: config.BATON_NATS_USER, password: config.BATON_NATS_PASSWORD ?? "" }),
    ...(config.BATON_NATS_INBOX_PREFIX === undefined ? {} : { inboxPrefix: config.BATON_NATS_INBOX_PREFIX }),
    logger: log,
  });
  let redis: Redis;
  try {
    redis = await connectRedis(config.BATON_REDIS_URL, `baton-${opts.name}`);
  } catch (err) {
    await bus.close();
    throw err;
  }
  await bus.ensureStreams();
  return {
    config,
    bus,
    redis,
    store: new ReleaseStore(redis, config.BATON_PREFIX, config.BATON_RETENTION_DAYS),
    timers: new TimerStore(redis, config.BATON_PREFIX),
    log,
    metrics: opts.metrics ?? createMetrics(),
    deadlines: { ...DEFAULT_DEADLINES, ...deadlinesOf(config) },
    clock: opts.clock ?? (() => new Date()),
    async close() {
      await bus.close();
      redis.disconnect();
    },
  };
}

/** Something a service starts and stops: a stage, the intake, a watcher. */
export interface Component {
  readonly name: string;
  stop(): Promise<void>;
}

export interface ServiceHandle {
  readonly rt: OpenRuntime;
  readonly httpPort: number;
  stop(): Promise<void>;
}

export interface StartOptions extends OpenOptions {
  readonly config: Config;
  readonly stages: readonly StageDefinition[];
  /** Other components (the intake, watchers), started after the stages. */
  readonly extra?: (rt: OpenRuntime) => Promise<Component[]>;
  readonly timerPump?: boolean;
  readonly http?: boolean;
}

/** Starts stages (and extras) on one runtime; stop() finishes in-flight messages, then disconnects. */
export async function startService(opts: StartOptions): Promise<ServiceHandle> {
  const tracing = await startTracing(opts.name);
  const rt = await openRuntime(opts.config, opts);
  const components: Component[] = [];
  for (const def of opts.stages) components.push(await startStage(def, rt));
  if (opts.extra) components.push(...(await opts.extra(rt)));
  const pump = opts.timerPump === false ? undefined : startTimerPump(rt);
  const http =
    opts.http === false
      ? undefined
      : await startHealthServer({
          host: opts.config.BATON_HTTP_HOST,
          port: opts.config.BATON_HTTP_PORT,
          registry: rt.metrics.registry,
          ready: async () => readiness(rt),
        });
  let stopping: Promise<void> | undefined;
  return {
    rt,
    httpPort: http?.port ?? 0,
    stop() {
      stopping ??= (async () => {
        await Promise.all(components.map((c) => c.stop()));
        await pump?.stop();
        await http?.close();
        await rt.close();
        await tracing.shutdown();
      })();
      return stopping;
    },
  };
}

async function readiness(rt: OpenRuntime): Promise<string | undefined> {
  if (rt.bus.nc.isClosed()) return "NATS connection closed";
  if (rt.redis.status !== "ready") return `Redis ${rt.redis.status}`;
  return undefined;
}

/** What a service module builds from the config: its stages and other components. */
export interface ServiceParts {
  readonly stages: readonly StageDefinition[];
  readonly extra?: (rt: OpenRuntime) => Promise<Component[]>;
  /** Releases what create() opened (clients, pools). */
  readonly close?: () => Promise<void>;
}

/** One stage service: services/<stage>/src/index.ts exports one, main.ts runs it, `baton dev` runs all. */
export interface ServiceModule {
  readonly name: string;
  create(config: Config): Promise<ServiceParts>;
}

/** Starts several service modules on one runtime (one process, shared connections). */
export async function startServices(
  config: Config,
  modules: readonly ServiceModule[],
  opts: Omit<StartOptions, "config" | "stages" | "extra" | "name"> & { name?: string } = {},
): Promise<ServiceHandle> {
  const parts = await Promise.all(modules.map((m) => m.create(config)));
  const handle = await startService({
    ...opts,
    name: opts.name ?? modules.map((m) => m.name).join("+"),
    config,
    stages: parts.flatMap((p) => p.stages),
    extra: async (rt) => (await Promise.all(parts.map((p) => p.extra?.(rt) ?? []))).flat(),
  });
  return {
    ...handle,
    async stop() {
      await handle.stop();
      await Promise.all(parts.map((p) => p.close?.()));
    },
  };
}

/**
 * The body of a service's main.ts: reads the config, starts, and stops gracefully on SIGTERM or
 * SIGINT, finishing in-flight messages. A bad configuration or an unreachable dependency prints
 * one clear line and exits 2.
 */
export async function runMain(
  modules: readonly ServiceModule[],
  config?: Config,
  opts: Omit<StartOptions, "config" | "stages" | "extra" | "name"> = {},
): Promise<ServiceHandle> {
  const name = modules.map((m) => m.name).join("+");
  let handle: ServiceHandle;
  try {
    handle = await startServices(config ?? loadConfig(), modules, opts);
  } catch (err) {
    const text = err instanceof ConfigError || err instanceof BatonError ? err.message : messageOf(err);
    process.stderr.write(`baton ${name}: ${text}\n`);
    process.exit(2);
  }
  handle.rt.log.info({ httpPort: handle.httpPort }, `${name} running`);
  const shutdown = (signal: string) => {
    handle.rt.log.info({ signal }, "shutting down: finishing in-flight messages");
    void handle.stop().then(() => process.exit(0));
  };
  process.once("SIGTERM", () => shutdown("SIGTERM"));
  process.once("SIGINT", () => shutdown("SIGINT"));
  return handle;
}
