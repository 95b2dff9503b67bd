import { requestControl } from "@baton/runtime";
import { withRuntime } from "../connect.js";
import { CliError, EXIT } from "../errors.js";

// promote and abort: the operator's two levers (the checks are runtime's requestControl, which the
// planner also uses when a Release object is deleted).

async function control(releaseId: string, name: "PromotionApproved" | "AbortRequested", data: { by: string; reason?: string }, json: boolean | undefined): Promise<number> {
  return withRuntime(async (rt) => {
    const r = await requestControl(rt, releaseId, name, data);
    if (!r.found) throw new CliError(r.reason ?? `no release ${releaseId}`, EXIT.failed);
    const { found: _found, ...shown } = r; // the answer scripts read: releaseId, event, accepted, reason
    if (json) process.stdout.write(`${JSON.stringify(shown)}\n`);
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
