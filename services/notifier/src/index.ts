// @baton/notifier: tells people what happened to releases — released, rolled back, switched back,
// awaiting promotion, failed, a dead letter — on Slack-compatible incoming webhooks and generic
// webhooks, per namespace and app, at least once (an Idempotency-Key on every delivery).
import { consume, type Component, type Config, type Consumption, type OpenRuntime, type ServiceModule } from "@baton/runtime";
import { loadNotifierConfig, type NotifierConfig } from "./config.js";
import { handle, notifierMetrics } from "./handler.js";
import { TRIGGERS } from "./triggers.js";

export interface NotifierServiceOptions {
  readonly env?: Record<string, string | undefined>;
}

export function notifierService(opts: NotifierServiceOptions = {}): ServiceModule {
  return {
    name: "notifier",
    async create(_config: Config) {
      const cfg = loadNotifierConfig(opts.env ?? process.env);
      return { stages: [], extra: async (rt) => [await startNotifier(rt, cfg)] };
    },
  };
}

/** One durable consumer per trigger event (shared by the notifier's replicas) and one on the dead letters. */
export async function startNotifier(rt: OpenRuntime, cfg: NotifierConfig): Promise<Component> {
  const metrics = notifierMetrics(rt.metrics.registry);
  const log = rt.log.child({ stage: "notifier" });
  const deps = { cfg, store: rt.store, redis: rt.redis, prefix: rt.config.BATON_PREFIX, metrics, log };
  const s = rt.bus.subjects;
  const events = [...new Set(TRIGGERS.map((t) => t.event))];
  const consumptions: Consumption[] = [];
  for (const event of events) {
    const spec = {
      stage: "notifier",
      event: event === "dead_letter" ? ("unknown" as const) : event,
      concurrency: 16,
      maxDeliver: cfg.maxAttempts,
      ackWaitMs: Math.max(30_000, cfg.timeoutMs * 4),
      ...(event === "dead_letter" ? { from: { stream: s.dlqStream, filter: s.allDeadLetters, durable: "notifier--dead_letters" } } : {}),
    };
    consumptions.push(await consume(rt.bus, spec, (d) => handle(deps, d, event === "dead_letter", d.attempt >= cfg.maxAttempts), { log }));
  }
  log.info({ triggers: TRIGGERS.map((t) => t.id), targets: [...cfg.targets.keys()], subscriptions: cfg.subscriptions.length }, "notifier started");
  return { name: "notifier", stop: async () => void (await Promise.all(consumptions.map((c) => c.stop()))) };
}

export { loadNotifierConfig } from "./config.js";
export type { NotifierConfig, ResolvedTarget } from "./config.js";
export { TRIGGERS } from "./triggers.js";
export type { Trigger } from "./triggers.js";
export { render } from "./template.js";
