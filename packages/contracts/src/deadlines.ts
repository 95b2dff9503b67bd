import { analysisSeconds, metricsOf } from "./analysis.js";
import { DeadlinePhase as DeadlinePhaseSchema, type DeadlinePhase } from "./events.js";
import type { ReleaseSpec } from "./spec.js";
import type { Phase } from "./state.js";

// Every non-terminal phase has a deadline, so no release waits forever — not even one whose stage
// dead-lettered its message or whose timer was lost. The spec sets the ones a release owner tunes;
// the installation sets the rest. `switched` and `draining` also end by their own timers (DrainDue,
// ShutdownDue): their deadlines are those timers plus the installation's margin, a last resort.

export interface DeadlineDefaults {
  readonly requestedSeconds: number;
  readonly promotingSeconds: number;
  /** Margin over `shutdown.delaySeconds`. */
  readonly switchedSeconds: number;
  /** Margin over `shutdown.gracePeriodSeconds`. */
  readonly drainingSeconds: number;
  readonly rollingBackSeconds: number;
  readonly finalizingSeconds: number;
  /** Margin over an analysis's own length (analyzing, verifying): a measurement's query time, a late timer. */
  readonly analysisSeconds: number;
}

export const DEFAULT_DEADLINES: DeadlineDefaults = {
  requestedSeconds: 120,
  promotingSeconds: 120,
  switchedSeconds: 300,
  drainingSeconds: 300,
  rollingBackSeconds: 300,
  finalizingSeconds: 300,
  analysisSeconds: 120,
};

/** The deadline of a phase in seconds, or undefined for a phase that needs none. */
export function phaseDeadlineSeconds(phase: Phase, spec: ReleaseSpec | null, d: DeadlineDefaults): number | undefined {
  switch (phase) {
    case "requested":
      return d.requestedSeconds;
    case "planned":
      return spec?.podsLiveTimeoutSeconds;
    case "validating":
      return spec?.validation.timeoutSeconds;
    case "analyzing":
      return analysisSeconds(metricsOf(spec, "prePromotion")) + d.analysisSeconds;
    case "verifying":
      return analysisSeconds(metricsOf(spec, "postPromotion")) + d.analysisSeconds;
    case "awaiting_promotion":
    case "inconclusive":
      // A person decides an inconclusive analysis (promote or abort) within the promotion's time.
      return spec?.promotionTimeoutSeconds;
    case "promoting":
      return d.promotingSeconds;
    case "switched":
      return d.switchedSeconds + (spec?.shutdown.delaySeconds ?? 0);
    case "draining":
      return d.drainingSeconds + (spec?.shutdown.gracePeriodSeconds ?? 0);
    case "finalizing":
      // The activities' own timeouts, plus the installation's margin for forcing v1 down.
      return d.finalizingSeconds + (spec?.postRelease.reduce((sum, a) => sum + a.timeoutSeconds, 0) ?? 0);
    case "rolling_back":
      return d.rollingBackSeconds;
    default:
      return undefined;
  }
}

const DEADLINE_PHASES: ReadonlySet<string> = new Set(DeadlinePhaseSchema.options);

export function isDeadlinePhase(phase: Phase): phase is DeadlinePhase {
  return DEADLINE_PHASES.has(phase);
}
