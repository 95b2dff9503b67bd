import type { PodView, PodsView, ReleaseDetail } from "@baton/contracts";

// v1 and v2 pods: counts and readiness from the cluster watch (pushed as pods change), and what the
// events said (v2 Ready n of m at PodsLive, v1 pods told to shut down).

function PodList({ pods }: { pods: readonly PodView[] }) {
  if (pods.length === 0) return <p class="muted">no pods</p>;
  return (
    <ul class="pods">
      {pods.map((p) => {
        const state = p.terminating ? "terminating" : p.ready ? "ready" : (p.reason ?? p.phase.toLowerCase());
        return (
          <li key={p.name} class={`pod pod-${p.terminating ? "terminating" : p.ready ? "ready" : "not-ready"}`}>
            <span class="pod-dot" aria-hidden="true" />
            <span class="pod-name">{p.name}</span>
            <span class="pod-state">{state}</span>
          </li>
        );
      })}
    </ul>
  );
}

function Side({ title, revision, pods, note }: { title: string; revision: number | null; pods: readonly PodView[] | null; note: string }) {
  const ready = pods?.filter((p) => p.ready && !p.terminating).length ?? 0;
  return (
    <section class="pods-side" aria-label={`${title} pods`}>
      <h3>
        {title} {revision === null ? "" : <span class="muted">revision {revision}</span>}
      </h3>
      {pods !== null && (
        <p class="pods-count" data-testid={`${title}-ready`}>
          {ready} ready of {pods.length}
        </p>
      )}
      {note && <p class="muted">{note}</p>}
      {pods !== null && <PodList pods={pods} />}
    </section>
  );
}

export function PodsPanel({ detail, live, progress }: { detail: ReleaseDetail; live: PodsView | null; progress: { ready: number; desired: number } | null }) {
  const r = detail.release;
  const v2counts = progress ?? detail.pods;
  const v2note = v2counts === null ? "" : `the pod-manager saw ${v2counts.ready} of ${v2counts.desired} Ready${detail.liveThreshold === null ? "" : ` (live at ${detail.liveThreshold})`}`;
  const v1note = detail.drain === null ? "" : `${detail.drain.pods} told to shut down, ${detail.drain.gracePeriodSeconds} s grace${detail.forcedPods === null ? "" : `; ${detail.forcedPods} forced down`}`;
  const pods = live?.available ? live : null;
  return (
    <div class="pods-panel">
      {live !== null && !live.available && <p class="notice">{live.reason}</p>}
      <div class="pods-sides">
        <Side title="v1" revision={r.previousRevision} pods={r.previousRevision === null ? null : (pods?.v1 ?? null)} note={r.previousRevision === null ? "first release: no v1" : v1note} />
        <Side title="v2" revision={r.revision} pods={pods?.v2 ?? null} note={v2note} />
      </div>
    </div>
  );
}
