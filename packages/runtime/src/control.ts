import { isTerminal, makeEvent, transition, type AnyEvent, type EventName, type ReleaseState } from "@baton/contracts";
import { emit, eventOf, type Runtime } from "./runtime.js";

// The operator's levers on a running release (promote, abort), shared by the CLI and the console:
// each is checked against the state machine first, so a refusal comes back at once with its reason
// ("v1 is already shutting down …"); the stages check again when the event arrives.

export type ControlEvent = Extract<EventName, "PromotionApproved" | "AbortRequested">;

export interface ControlRequest {
  /** Who asked: recorded in the event (the timeline answers "who promoted this, and when"). */
  readonly by: string;
  readonly reason?: string;
}

export interface ControlResult {
  readonly releaseId: string;
  readonly event: ControlEvent;
  readonly accepted: boolean;
  readonly reason?: string;
}

const DEFAULT_ABORT_REASON = "aborted by an operator";

function payload(name: ControlEvent, data: ControlRequest): { by: string; reason?: string } {
  return name === "AbortRequested" ? { by: data.by, reason: data.reason ?? DEFAULT_ABORT_REASON } : { by: data.by };
}

/**
 * Why the state machine would refuse this control event for the release now, or undefined when it
 * would take it. Pure: the console asks it to offer only the actions a release's phase allows.
 */
export function controlRefusal(state: ReleaseState, name: ControlEvent): string | undefined {
  if (state.app === null || state.namespace === null) return `release ${state.releaseId} was rejected at the intake`;
  if (isTerminal(state.phase)) return `${name} refused: the release has already ended (${state.phase})`;
  const probe = makeEvent(name, { releaseId: state.releaseId, app: state.app, namespace: state.namespace, ...payload(name, { by: "probe" }) } as never, {
    source: "probe",
    time: state.updatedAt,
    step: "probe",
  }) as AnyEvent;
  const r = transition(state, probe);
  return r.kind === "refused" ? r.reason : undefined;
}

/**
 * Sends PromotionApproved or AbortRequested for a release whose state was just read, unless the
 * state machine refuses it. `source` names the sender in the event (`baton/cli`, `baton/console`).
 */
export async function sendControl(rt: Runtime, state: ReleaseState, name: ControlEvent, data: ControlRequest, source = "cli"): Promise<ControlResult> {
  const { releaseId, app, namespace } = state;
  const refused = controlRefusal(state, name);
  if (refused !== undefined || app === null || namespace === null) return { releaseId, event: name, accepted: false, reason: refused };
  const event = eventOf(rt, source, { releaseId, app, namespace }, name, payload(name, data) as never) as AnyEvent;
  const result = await emit(rt, source, event);
  return result.emitted ? { releaseId, event: name, accepted: true } : { releaseId, event: name, accepted: false, reason: result.reason };
}
