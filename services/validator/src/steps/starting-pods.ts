import { NO_READINESS_PROBE, startingPods, type ReleaseState, type Warning } from "@baton/contracts";
import { isAnswer, type HttpResult } from "./http-request.js";

// Why a validation failed, when the cause is the pod template: with no readinessProbe a pod counts
// as Ready as soon as it starts, so PodsLive comes the moment the last counted pod starts and the
// first test requests may reach an app that is still starting (and answers 503).
//
// What is exact and cheap: the validator does not know which pod answered (the preview Service
// balances) nor, without reading pods (a right it does not have), when each started. It knows
// that the plan warned "no readinessProbe" (the release's state) and when PodsLive was stamped: a
// probe-less pod is Ready when it starts, so at PodsLive at least one v2 pod had just started, and
// a 503 sent t seconds after PodsLive came while a v2 pod was at most t seconds old. Only a 503
// within STARTING_WINDOW_MS of PodsLive, on a release the plan warned about, adds the hint.

/** A 503 sent this soon after PodsLive is taken for an app that is still starting. */
export const STARTING_WINDOW_MS = 10_000;

/** Remembers when the first 503 of a validation was sent (checks and warm-up alike). */
export class First503 {
  #at: number | undefined;

  see(r: HttpResult, sentAt: number): void {
    if (isAnswer(r) && r.status === 503 && (this.#at === undefined || sentAt < this.#at)) this.#at = sentAt;
  }

  get at(): number | undefined {
    return this.#at;
  }
}

/** The hint for ValidationFailed, when a 503 came from pods that had only just started. */
export function startingPodsWarnings(state: ReleaseState, podsLiveAt: number, first503At: number | undefined): Warning[] {
  if (first503At === undefined) return [];
  if (!(state.warnings ?? []).some((w) => w.code === NO_READINESS_PROBE)) return [];
  const afterLive = first503At - podsLiveAt;
  return afterLive <= STARTING_WINDOW_MS ? [startingPods(afterLive / 1000)] : [];
}
