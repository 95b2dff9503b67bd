import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from "prom-client";

// Prometheus metrics of one process (every stage it runs labels its own series).

export interface Metrics {
  readonly registry: Registry;
  readonly consumed: Counter<"stage" | "event" | "outcome">;
  readonly published: Counter<"stage" | "event">;
  readonly handlerSeconds: Histogram<"stage" | "event">;
  readonly redeliveries: Counter<"stage" | "event">;
  readonly deadLetters: Counter<"stage" | "event">;
  readonly releases: Counter<"outcome">;
  readonly phaseSeconds: Histogram<"phase">;
  readonly timerLatenessSeconds: Histogram;
  readonly timersFired: Counter;
  readonly kubeRequests: Counter<"verb" | "resource" | "result">;
  readonly intake: Counter<"result">;
  readonly inflight: Gauge<"stage" | "event">;
}

const FAST = [0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 300];

export function createMetrics(): Metrics {
  const registry = new Registry();
  collectDefaultMetrics({ register: registry, prefix: "baton_process_" });
  const r = [registry];
  return {
    registry,
    consumed: new Counter({ name: "baton_events_consumed_total", help: "Events handled, by stage, type and outcome (ack, retry, terminal, dead_letter, skipped)", labelNames: ["stage", "event", "outcome"], registers: r }),
    published: new Counter({ name: "baton_events_published_total", help: "Events published, by stage and type", labelNames: ["stage", "event"], registers: r }),
    handlerSeconds: new Histogram({ name: "baton_handler_duration_seconds", help: "Time a stage spent on one event", labelNames: ["stage", "event"], buckets: FAST, registers: r }),
    redeliveries: new Counter({ name: "baton_consumer_redeliveries_total", help: "Events delivered again after a failure or timeout", labelNames: ["stage", "event"], registers: r }),
    deadLetters: new Counter({ name: "baton_dead_letters_total", help: "Events parked in the dead-letter stream", labelNames: ["stage", "event"], registers: r }),
    releases: new Counter({ name: "baton_releases_total", help: "Releases that ended, by outcome", labelNames: ["outcome"], registers: r }),
    phaseSeconds: new Histogram({ name: "baton_phase_duration_seconds", help: "Time releases spent in each phase", labelNames: ["phase"], buckets: FAST, registers: r }),
    timerLatenessSeconds: new Histogram({ name: "baton_timer_lateness_seconds", help: "How late a timer fired after its due time", buckets: FAST, registers: r }),
    timersFired: new Counter({ name: "baton_timers_fired_total", help: "Timers fired", registers: r }),
    kubeRequests: new Counter({ name: "baton_kube_requests_total", help: "Kubernetes API calls by verb, resource and result", labelNames: ["verb", "resource", "result"], registers: r }),
    intake: new Counter({ name: "baton_intake_requests_total", help: "Intake requests by result (accepted, rejected, duplicate)", labelNames: ["result"], registers: r }),
    inflight: new Gauge({ name: "baton_events_inflight", help: "Events being handled now", labelNames: ["stage", "event"], registers: r }),
  };
}
