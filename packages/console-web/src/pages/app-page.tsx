import { useEffect, useState } from "preact/hooks";
import type { AppHistory, ReleaseSummary, StreamMessage } from "@baton/contracts";
import { api, follow } from "../api";
import { ReleasesTable } from "../components/releases-table";
import { toneOf } from "../components/phase-badge";
import { dateTime, duration } from "../format";
import { onLink, releasePath } from "../router";

// What has this app been through? Its revisions and releases over time: a strip of releases on a
// time axis (which revision went live when, which were rolled back), and the same as a table.

function History({ releases }: { releases: readonly ReleaseSummary[] }) {
  const sorted = [...releases].sort((a, b) => Date.parse(a.createdAt) - Date.parse(b.createdAt));
  const t0 = Date.parse(sorted[0]?.createdAt ?? new Date().toISOString());
  const t1 = Math.max(t0 + 1, ...sorted.map((r) => Date.parse(r.updatedAt)));
  return (
    <ol class="history" aria-label="Releases over time, oldest first">
      {sorted.map((r) => {
        const start = Date.parse(r.createdAt);
        const end = Date.parse(r.updatedAt);
        return (
          <li key={r.releaseId} style={{ marginLeft: `${((start - t0) / (t1 - t0)) * 80}%` }}>
            <a href={releasePath(r.releaseId)} onClick={onLink} class={`history-bar tone-${toneOf(r.phase)}`}>
              rev {r.revision ?? "–"} · {r.version ?? "?"} · {r.phase.replace(/_/g, " ")} · {duration(end - start)}
            </a>
          </li>
        );
      })}
    </ol>
  );
}

export function AppPage({ namespace, app }: { namespace: string; app: string }) {
  const [history, setHistory] = useState<AppHistory | null>(null);
  const [error, setError] = useState("");
  useEffect(() => {
    let live = true;
    const load = () => api.app(namespace, app).then((h) => live && setHistory(h), (e: Error) => live && setError(e.message));
    void load();
    const onMessage = (m: StreamMessage) => {
      if (m.type !== "release" || m.release.namespace !== namespace || m.release.app !== app) return;
      setHistory((h) => (h === null ? h : { ...h, releases: [m.release, ...h.releases.filter((r) => r.releaseId !== m.release.releaseId)].sort((a, b) => Date.parse(b.createdAt) - Date.parse(a.createdAt)) }));
    };
    const close = follow(null, onMessage, () => void load());
    return () => {
      live = false;
      close();
    };
  }, [namespace, app]);
  const live = history?.releases.find((r) => r.phase === "completed");
  return (
    <>
      <h1>
        {namespace}/{app}
      </h1>
      {error && (
        <p role="alert" class="result error">
          {error}
        </p>
      )}
      {history === null ? (
        <p aria-busy="true">Loading…</p>
      ) : history.releases.length === 0 ? (
        <p class="empty">No releases of {app} on the event stream.</p>
      ) : (
        <>
          <p class="release-meta">
            {history.releases.length} releases{live ? <> · last completed: revision {live.revision} ({live.version}) on {dateTime(live.updatedAt)}</> : null}
          </p>
          <section class="panel" aria-labelledby="history-title">
            <h2 id="history-title">Over time</h2>
            <History releases={history.releases} />
          </section>
          <section class="panel" aria-labelledby="releases-title">
            <h2 id="releases-title">Releases</h2>
            <ReleasesTable releases={history.releases} attention={[]} showApp={false} caption={`Releases of ${app}, newest first`} />
          </section>
        </>
      )}
    </>
  );
}
