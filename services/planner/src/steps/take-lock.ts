import type { Reason } from "@baton/contracts";
import type { ReleaseStore } from "@baton/runtime";

export type LockOutcome =
  | { readonly ok: true; readonly fence: number }
  | { readonly ok: false; readonly reason: Reason }
  /** The release is no longer waiting to be planned (it ended meanwhile): nothing to plan, no lock taken. */
  | { readonly ok: false; readonly movedOn: string | null };

/**
 * Takes the app's release lock (one release of an app at a time). Taking it again for the same
 * release returns the same fence, so a redelivery finds its own lock. When another release holds
 * it, the request is rejected — Baton's documented choice is to reject, not to queue — with a
 * reason that names the running release and its phase.
 */
export async function takeLock(store: ReleaseStore, namespace: string, app: string, releaseId: string): Promise<LockOutcome> {
  const lock = await store.acquireLock(namespace, app, releaseId);
  if (lock.ok) return { ok: true, fence: lock.fence };
  if (lock.holder === null) return { ok: false, movedOn: lock.phase };
  const holder = await store.get(lock.holder);
  const phase = holder?.state.phase ?? "unknown";
  return {
    ok: false,
    reason: {
      path: "app",
      rule: "one-release-at-a-time",
      message: `app: release ${lock.holder} of ${namespace}/${app} is still running (phase ${phase}); one release of an app runs at a time — wait for it to end or abort it`,
    },
  };
}
