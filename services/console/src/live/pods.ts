import type { V1Pod } from "@kubernetes/client-node";
import type { PodView, PodsView, ReleaseState } from "@baton/contracts";
import { LABEL_APP, LABEL_REVISION, type PodWatchHub } from "@baton/runtime";

// v1 and v2 pods of a release, for its page: from the shared pod watch of its namespace (one watch
// per namespace per console process, whatever the number of pages), pushed as they change.

const COALESCE_MS = 100;
const SYNC_TIMEOUT_MS = 5000;

export class ReleasePods {
  constructor(
    private readonly hub: PodWatchHub | null,
    /** Why pods cannot be shown (no cluster access configured), when hub is null. */
    private readonly unavailable: string,
  ) {}

  /** Calls `send` with the release's pods now and on every change; returns the unsubscribe. */
  watch(state: ReleaseState, send: (view: PodsView) => void): () => void {
    if (this.hub === null) {
      send({ available: false, reason: this.unavailable, v1: [], v2: [] });
      return () => undefined;
    }
    const { namespace, app, revision, previousRevision } = state;
    if (namespace === null || app === null || revision === null) {
      send({ available: true, v1: [], v2: [] });
      return () => undefined;
    }
    let pending: NodeJS.Timeout | undefined;
    let latest: readonly V1Pod[] = [];
    let synced = false;
    const timeout = setTimeout(() => {
      if (!synced) send({ available: false, reason: `no pods listed in ${namespace} yet: the console may lack list/watch on pods there`, v1: [], v2: [] });
    }, SYNC_TIMEOUT_MS);
    const unsubscribe = this.hub.subscribe(namespace, (pods) => {
      synced = true;
      latest = pods;
      pending ??= setTimeout(() => {
        pending = undefined;
        send(podsView(latest, app, revision, previousRevision));
      }, COALESCE_MS);
    });
    return () => {
      clearTimeout(timeout);
      clearTimeout(pending);
      unsubscribe();
    };
  }
}

export function podsView(pods: readonly V1Pod[], app: string, revision: number, previous: number | null): PodsView {
  const of = (rev: number | null) => (rev === null ? [] : pods.filter((p) => p.metadata?.labels?.[LABEL_APP] === app && p.metadata?.labels?.[LABEL_REVISION] === String(rev)).map((p) => podView(p, rev)));
  const byName = (a: PodView, b: PodView) => a.name.localeCompare(b.name);
  return { available: true, v1: of(previous).sort(byName), v2: of(revision).sort(byName) };
}

function podView(p: V1Pod, revision: number): PodView {
  const ready = p.status?.conditions?.some((c) => c.type === "Ready" && c.status === "True") ?? false;
  const waiting = p.status?.containerStatuses?.map((c) => c.state?.waiting?.reason).find((r) => r !== undefined);
  const reason = waiting ?? p.status?.reason;
  return {
    name: p.metadata?.name ?? "",
    revision,
    phase: p.status?.phase ?? "Pending",
    ready,
    terminating: p.metadata?.deletionTimestamp !== undefined && p.metadata.deletionTimestamp !== null,
    ...(reason === undefined ? {} : { reason }),
  };
}
