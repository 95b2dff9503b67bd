import { isTerminal, type AnyEvent, type EventName } from "@baton/contracts";
import { emit, eventOf, type Runtime } from "./runtime.js";

// promote and abort, the two levers on a running release, as `baton promote|abort` pulls them and
// as the planner pulls abort when a Release object is deleted. Checked against the state machine
// first (by emit), so a refusal comes back at once with its reason ("v1 is already shutting
// down …"); the stages check again when the event arrives.

export type ControlEvent = Extract<EventName, "PromotionApproved" | "AbortRequested">;

export interface ControlResult {
  readonly releaseId: string;
  readonly event: ControlEvent;
  /** false: no such release, or one rejected at the intake (nothing to act on); `reason` says which. */
  readonly found: boolean;
  readonly accepted: boolean;
  readonly reason?: string;
}

/** Sends PromotionApproved or AbortRequested for a release (from `source`), unless the state machine refuses it. */
export async function requestControl(
  rt: Runtime,
  releaseId: string,
  name: ControlEvent,
  data: { by: string; reason?: string },
  source = "cli",
): Promise<ControlResult> {
  const refused = (reason: string, found = true): ControlResult => ({ releaseId, event: name, found, accepted: false, reason });
  const stored = await rt.store.get(releaseId);
  if (stored === null) return refused(`no release ${releaseId}`, false);
  const { app, namespace } = stored.state;
  if (app === null || namespace === null) {
    return refused(`release ${releaseId} was rejected at the intake: nothing to ${name === "AbortRequested" ? "abort" : "promote"}`, false);
  }
  if (isTerminal(stored.state.phase)) return refused(`${name} refused: the release has already ended (${stored.state.phase})`);
  const payload = name === "AbortRequested" ? { by: data.by, reason: data.reason ?? "aborted by an operator" } : { by: data.by };
  const event = eventOf(rt, source, { releaseId, app, namespace }, name, payload as never) as AnyEvent;
  const result = await emit(rt, source, event);
  return result.emitted ? { releaseId, event: name, found: true, accepted: true } : refused(result.reason);
}
