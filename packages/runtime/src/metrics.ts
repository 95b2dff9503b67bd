import { Counter, Histogram, Registry, collectDefaultMetrics } from "prom-client";

// Prometheus metrics of one process (every stage it runs labels its own series). Where each is
// recorded: consumed / handler duration / redeliveries / dead letters by the stage runner
// (stage.ts), published by emit (runtime.ts), releases and phase durations when a release's
// terminal event is applied (runtime.ts, once across the fleet: the store applies an event once),
// timers by the timer pump, Kubernetes calls by kubeCall (kube.ts), intake results by the planner's
// intake, post-release activities by the reaper, analysis measurements and durations by the
// validator, switch-backs by the traffic-switcher. deploy/grafana/ charts and alerts on them.

export interface Metrics {
  readonly registry: Registry;
  readonly consumed: Counter<"stage" | "event" | "outcome">;
  readonly published: Counter<"stage" | "event" | "outcome">;
  readonly handlerSeconds: Histogram<"stage" | "event">;
  readonly redeliveries: Counter<"stage" | "event">;
  readonly deadLetters: Counter<"stage" | "event">;
  readonly releases: Counter<"outcome">;
  readonly phaseSeconds: Histogram<"phase">;
  readonly timerLatenessSeconds: Histogram;
  readonly timersFired: Counter;
  readonly kubeRequests: Counter<"verb" | "resource" | "result">;
  readonly kubeEvents: Counter<"stage" | "result">;
  readonly intake: Counter<"result">;
  readonly postReleaseActivities: Counter<"kind" | "result">;
  readonly analysisMeasurements: Counter<"metric" | "verdict">;
  readonly analysisSeconds: Histogram<"phase" | "verdict">;
  readonly switchBacks: Counter<"cause">;
}

// Phases wait on pods, people (manual promotion) and shutdown timers: minutes to an hour.
const PHASE = [0.01, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 120, 300, 600, 1800, 3600];
const FAST = [0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 300];

const MISNAMED_DEFAULTS = ["baton_nodejs_active_handles_total", "baton_nodejs_active_requests_total", "baton_nodejs_active_resources_total"];

export function createMetrics(): Metrics {
  const registry = new Registry();
  collectDefaultMetrics({ register: registry, prefix: "baton_" }); // baton_process_cpu_seconds_total, baton_nodejs_eventloop_lag_p99_seconds …
  // prom-client names three gauges like counters (`…_total`), which `promtool check metrics`
  // flags; each is the sum of a per-type gauge that stays (sum(baton_nodejs_active_handles)).
  for (const name of MISNAMED_DEFAULTS) registry.removeSingleMetric(name);
  const r = [registry];
  return {
    registry,
    consumed: new Counter({ name: "baton_events_consumed_total", help: "Events handled, by stage, type and outcome (ack; retry: handed back for a later attempt; dead_letter: parked after a terminal error or the last attempt)", labelNames: ["stage", "event", "outcome"], registers: r }),
    published: new Counter({ name: "baton_events_published_total", help: "Events published, by stage, type and outcome (stored; duplicate: dropped by the dedup window; refused: the state machine would not take it, so not sent)", labelNames: ["stage", "event", "outcome"], registers: r }),
    handlerSeconds: new Histogram({ name: "baton_handler_duration_seconds", help: "Time a stage spent on one event", labelNames: ["stage", "event"], buckets: FAST, registers: r }),
    redeliveries: new Counter({ name: "baton_consumer_redeliveries_total", help: "Events delivered again after a failure or timeout", labelNames: ["stage", "event"], registers: r }),
    deadLetters: new Counter({ name: "baton_dead_letters_total", help: "Events parked in the dead-letter stream", labelNames: ["stage", "event"], registers: r }),
    releases: new Counter({ name: "baton_releases_total", help: "Releases that ended, by outcome", labelNames: ["outcome"], registers: r }),
    phaseSeconds: new Histogram({ name: "baton_phase_duration_seconds", help: "Time releases spent in each phase", labelNames: ["phase"], buckets: PHASE, registers: r }),
    timerLatenessSeconds: new Histogram({ name: "baton_timer_lateness_seconds", help: "How late a timer fired after its due time", buckets: FAST, registers: r }),
    timersFired: new Counter({ name: "baton_timers_fired_total", help: "Timers fired", registers: r }),
    kubeEvents: new Counter({ name: "baton_kube_events_total", help: "Kubernetes Events a stage recorded on the objects it acts on, by stage and result (recorded, exists: written before, failed: logged, the step went on)", labelNames: ["stage", "result"], registers: r }),
    kubeRequests: new Counter({ name: "baton_kube_requests_total", help: "Kubernetes API calls by verb, resource and result", labelNames: ["verb", "resource", "result"], registers: r }),
    intake: new Counter({ name: "baton_intake_requests_total", help: "Intake requests by result (accepted, rejected, duplicate, error)", labelNames: ["result"], registers: r }),
    postReleaseActivities: new Counter({ name: "baton_post_release_activities_total", help: "Post-release activities run, by kind (sql, webhook) and result (ok, already_done, retry, failed, not_run)", labelNames: ["kind", "result"], registers: r }),
    analysisMeasurements: new Counter({ name: "baton_analysis_measurements_total", help: "Analysis measurements taken, by metric name and verdict (successful, failed, inconclusive, error)", labelNames: ["metric", "verdict"], registers: r }),
    analysisSeconds: new Histogram({ name: "baton_analysis_duration_seconds", help: "Time from an analysis's start to its verdict, by phase (prePromotion, postPromotion) and verdict", labelNames: ["phase", "verdict"], buckets: PHASE, registers: r }),
    switchBacks: new Counter({ name: "baton_switch_backs_total", help: "Production switched back to the previous revision, by cause (analysis, abort, deadline)", labelNames: ["cause"], registers: r }),
  };
}
