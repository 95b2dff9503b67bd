import { sendControl, type ControlEvent, type ControlResult, type Runtime } from "@baton/runtime";
import { withRuntime } from "../connect.js";
import { CliError, EXIT } from "../errors.js";

// promote and abort: the operator's two levers (the same events the console sends; see
// packages/runtime/src/control.ts). A refusal comes back at once with its reason.

export type { ControlEvent, ControlResult } from "@baton/runtime";

/** Sends PromotionApproved or AbortRequested for a release, unless the state machine refuses it. */
export async function requestControl(rt: Runtime, releaseId: string, name: ControlEvent, data: { by: string; reason?: string }): Promise<ControlResult> {
  const stored = await rt.store.get(releaseId);
  if (stored === null) throw new CliError(`no release ${releaseId}`, EXIT.failed);
  if (stored.state.app === null || stored.state.namespace === null) {
    throw new CliError(`release ${releaseId} was rejected at the intake: nothing to ${name === "AbortRequested" ? "abort" : "promote"}`, EXIT.failed);
  }
  return sendControl(rt, stored.state, name, data, "cli");
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
