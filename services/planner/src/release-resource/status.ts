import { CustomObjectsApi, PatchStrategy, setHeaderOptions } from "@kubernetes/client-node";
import { isTerminal, type Reason, type ReleaseState } from "@baton/contracts";
import { kubeCall, type Metrics } from "@baton/runtime";
import { GROUP, PLURAL, VERSION, type ReleaseCondition, type ReleaseObject, type ReleaseStatus } from "./release-object.js";

// The status the watcher writes on a Release, from what it knows of the release: the intake has
// not answered yet (Pending), it refused the request (Rejected), or the release's stored state.

/** What the watcher knows of one release, turned into a status by statusOf. */
export type Progress =
  | { readonly kind: "pending"; readonly message: string }
  | { readonly kind: "rejected"; readonly reasons: readonly Reason[] }
  | { readonly kind: "state"; readonly state: ReleaseState };

const CAMEL = (phase: string) => phase.replace(/(^|_)([a-z])/g, (_m, _u, c: string) => c.toUpperCase());

/** Ready/Progressing of a phase: Ready only when it completed; Progressing while it moves. */
function conditionsOf(progress: Progress): { ready: ReleaseCondition["status"]; progressing: ReleaseCondition["status"]; reason: string; message: string } {
  if (progress.kind === "pending") return { ready: "Unknown", progressing: "True", reason: "Pending", message: progress.message };
  if (progress.kind === "rejected") {
    const message = progress.reasons.map((r) => `${r.path}: ${r.message}`).join("; ");
    return { ready: "False", progressing: "False", reason: "Rejected", message };
  }
  const s = progress.state;
  const ended = isTerminal(s.phase);
  return {
    ready: s.phase === "completed" ? "True" : ended ? "False" : "Unknown",
    progressing: ended ? "False" : "True",
    reason: CAMEL(s.phase),
    message: s.outcome?.reason ?? (ended ? `release ${s.phase}` : `release is ${s.phase}`),
  };
}

/** The status to write; lastTransitionTime moves only when a condition's status changes. */
export function statusOf(obj: ReleaseObject, releaseId: string, progress: Progress, now: Date): ReleaseStatus {
  const generation = obj.metadata.generation ?? 1;
  const c = conditionsOf(progress);
  const previous = new Map((obj.status?.conditions ?? []).map((x) => [x.type, x]));
  const condition = (type: ReleaseCondition["type"], status: ReleaseCondition["status"]): ReleaseCondition => ({
    type,
    status,
    reason: c.reason,
    message: c.message,
    lastTransitionTime: previous.get(type)?.status === status ? (previous.get(type)?.lastTransitionTime ?? now.toISOString()) : now.toISOString(),
    observedGeneration: generation,
  });
  const phase = progress.kind === "state" ? progress.state.phase : progress.kind === "rejected" ? "Rejected" : "Pending";
  const revision = progress.kind === "state" ? progress.state.revision : null;
  return {
    phase,
    releaseId,
    ...(revision === null ? {} : { revision }),
    observedGeneration: generation,
    message: c.message,
    conditions: [condition("Ready", c.ready), condition("Progressing", c.progressing)],
  };
}

/** True when the status says the same as what is written (times aside): nothing to patch. */
export function sameStatus(a: Partial<ReleaseStatus> | undefined, b: ReleaseStatus): boolean {
  if (a === undefined) return false;
  const strip = (s: Partial<ReleaseStatus>) => JSON.stringify({ ...s, conditions: (s.conditions ?? []).map(({ lastTransitionTime: _t, ...rest }) => rest) });
  return strip(a) === strip(b);
}

/** Writes the status through the status subresource, as a merge patch (safe to repeat). */
export async function patchStatus(api: CustomObjectsApi, metrics: Metrics, obj: ReleaseObject, status: ReleaseStatus): Promise<ReleaseObject> {
  const { name, namespace } = obj.metadata;
  return kubeCall(metrics, "patch", "releases/status", () =>
    api.patchNamespacedCustomObjectStatus(
      { group: GROUP, version: VERSION, namespace, plural: PLURAL, name, body: { status } },
      setHeaderOptions("Content-Type", PatchStrategy.MergePatch),
    ),
  ) as Promise<ReleaseObject>;
}
