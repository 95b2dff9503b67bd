import { isTerminal, transition, type AnyEvent, type EventName } from "@baton/contracts";
import { emit, eventOf, type Runtime } from "@baton/runtime";
import { withRuntime } from "../connect.js";
import { CliError, EXIT } from "../errors.js";

// promote and abort: the operator's two levers. Each is checked against the state machine first,
// so a refusal comes back at once with its reason ("v1 is already shutting down …"); the stages
// check again when the event arrives.

export type ControlEvent = Extract<EventName, "PromotionApproved" | "AbortRequested">;

export interface ControlResult {
  readonly releaseId: string;
  readonly event: ControlEvent;
  readonly accepted: boolean;
  readonly reason?: string;
}

/** Sends PromotionApproved or AbortRequested for a release, unless the state machine refuses it. */
export async function requestControl(rt: Runtime, releaseId: string, name: ControlEvent, data: { by: string; reason?: string }): Promise<ControlResult> {
  const stored = await rt.store.get(releaseId);
  if (stored === null) throw new CliError(`no release ${releaseId}`, EXIT.failed);
  const { app, namespace } = stored.state;
  if (app === null || namespace === null) {
    throw new CliError(`release ${releaseId} was rejected at the intake: nothing to ${name === "AbortRequested" ? "abort" : "promote"}`, EXIT.failed);
  }
  const payload = name === "AbortRequested" ? { by: data.by, reason: data.reason ?? "aborted by an operator" } : { by: data.by };
  const event = eventOf(rt, "cli", { releaseId, app, namespace }, name, payload as never) as AnyEvent;
  if (isTerminal(stored.state.phase)) {
    return { releaseId, event: name, accepted: false, reason: `${name} refused: the release has already ended (${stored.state.phase})` };
  }
  const pre = transition(stored.state, event);
  const result = pre.kind === "refused" ? { emitted: false as const, reason: pre.reason } : await emit(rt, "cli", event);
  return result.emitted ? { releaseId, event: name, accepted: true } : { releaseId, event: name, accepted: false, reason: result.reason };
}

async function control(releaseId: string, name: ControlEvent, data: { by: string; reason?: string }, json: boolean | undefined): Promise<number> {
  return withRuntime(async (rt) => {
    const r = await requestControl(rt, releaseId, name, data);
    if (json) process.stdout.write(`${JSON.stringify(r)}\n`);
    else if (r.accepted) process.stdout.write(`${name} sent for ${releaseId}\n`);
    else process.stderr.write(`baton: ${r.reason}\n`);
    return r.accepted ? EXIT.ok : EXIT.failed;
  });
}

export function promoteCommand(releaseId: string, f: { by?: string; json?: boolean }): Promise<number> {
  return control(releaseId, "PromotionApproved", { by: f.by ?? process.env.USER ?? "cli" }, f.json);
}

export function abortCommand(releaseId: string, f: { by?: string; reason?: string; json?: boolean }): Promise<number> {
  return control(releaseId, "AbortRequested", { by: f.by ?? process.env.USER ?? "cli", ...(f.reason ? { reason: f.reason } : {}) }, f.json);
}
