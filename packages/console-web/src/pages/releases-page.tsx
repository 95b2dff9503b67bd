import { useEffect, useState } from "preact/hooks";
import type { ConsoleMe, ReleaseList, ReleaseSummary, StreamMessage } from "@baton/contracts";
import { api, follow } from "../api";
import { DeadLetters } from "../components/dead-letters";
import { ReleasesTable } from "../components/releases-table";
import { phaseLabel } from "../format";
import { navigate } from "../router";

// Which releases need me? Every release in the namespaces I may see, newest first, filtered by
// namespace, app, phase or "needs attention", and updated as events arrive.

const PHASES = ["requested", "planned", "validating", "analyzing", "inconclusive", "awaiting_promotion", "promoting", "verifying", "switched", "draining", "finalizing", "rolling_back", "completed", "rolled_back", "failed", "rejected"];

interface Filters {
  namespace: string;
  app: string;
  phase: string;
  attention: boolean;
}

function filtersOf(q: URLSearchParams): Filters {
  return { namespace: q.get("namespace") ?? "", app: q.get("app") ?? "", phase: q.get("phase") ?? "", attention: q.get("attention") === "true" };
}

function matches(r: ReleaseSummary, f: Filters): boolean {
  return (f.namespace === "" || r.namespace === f.namespace) && (f.app === "" || r.app === f.app) && (f.phase === "" || r.phase === f.phase) && (!f.attention || r.attention.length > 0);
}

export function ReleasesPage({ query, me }: { query: URLSearchParams; me: ConsoleMe }) {
  const filters = filtersOf(query);
  const [list, setList] = useState<ReleaseList | null>(null);
  const [error, setError] = useState("");
  const key = JSON.stringify(filters);
  useEffect(() => {
    let live = true;
    const load = () =>
      api.releases(filters).then(
        (l) => live && (setList(l), setError("")),
        (e: Error) => live && setError(e.message),
      );
    void load();
    const onMessage = (m: StreamMessage) => {
      if (m.type === "release") {
        setList((l) => {
          if (l === null) return l;
          const rest = l.releases.filter((r) => r.releaseId !== m.release.releaseId);
          if (!matches(m.release, filters)) return { ...l, releases: rest };
          const next = [...rest, m.release].sort((a, b) => Date.parse(b.createdAt) - Date.parse(a.createdAt));
          return { ...l, releases: next };
        });
      } else if (m.type === "dead-letter") {
        setList((l) => (l === null ? l : { ...l, deadLetters: [m.letter, ...l.deadLetters.filter((d) => d.seq !== m.letter.seq)] }));
      }
    };
    const close = follow(null, onMessage, () => void load());
    return () => {
      live = false;
      close();
    };
  }, [key]);

  const set = (patch: Partial<Filters>) => {
    const f = { ...filters, ...patch };
    const q = new URLSearchParams();
    if (f.namespace) q.set("namespace", f.namespace);
    if (f.app) q.set("app", f.app);
    if (f.phase) q.set("phase", f.phase);
    if (f.attention) q.set("attention", "true");
    const s = q.toString();
    navigate(s === "" ? "/" : `/?${s}`, true);
  };
  const seen = list?.releases ?? [];
  const namespaces = [...new Set([...me.roles.map((r) => r.namespace).filter((n) => n !== "*"), ...seen.flatMap((r) => (r.namespace === null ? [] : [r.namespace])), ...(filters.namespace ? [filters.namespace] : [])])].sort();
  const apps = [...new Set(seen.flatMap((r) => (r.app === null ? [] : [r.app])))].sort();
  return (
    <>
      <h1>{filters.attention ? "Releases that need attention" : "Releases"}</h1>
      <form class="filters" role="search" aria-label="Filter releases" onSubmit={(e) => e.preventDefault()}>
        <label class="field">
          Namespace
          <select value={filters.namespace} onChange={(e) => set({ namespace: (e.currentTarget as HTMLSelectElement).value })}>
            <option value="">all</option>
            {namespaces.map((n) => (
              <option key={n} value={n}>
                {n}
              </option>
            ))}
          </select>
        </label>
        <label class="field">
          App
          <input list="apps" value={filters.app} placeholder="any" onChange={(e) => set({ app: (e.currentTarget as HTMLInputElement).value.trim() })} />
          <datalist id="apps">
            {apps.map((a) => (
              <option key={a} value={a} />
            ))}
          </datalist>
        </label>
        <label class="field">
          Phase
          <select value={filters.phase} onChange={(e) => set({ phase: (e.currentTarget as HTMLSelectElement).value })}>
            <option value="">any</option>
            {PHASES.map((p) => (
              <option key={p} value={p}>
                {phaseLabel(p)}
              </option>
            ))}
          </select>
        </label>
        <label class="check">
          <input type="checkbox" checked={filters.attention} onChange={(e) => set({ attention: (e.currentTarget as HTMLInputElement).checked })} />
          Needs attention{list ? ` (${list.attention.map((a) => a.label).join(", ")})` : ""}
        </label>
      </form>
      {error && (
        <p role="alert" class="result error">
          {error}
        </p>
      )}
      {list === null ? (
        <p aria-busy="true">Loading…</p>
      ) : list.releases.length === 0 ? (
        <p class="empty">{filters.attention ? "Nothing needs attention." : "No releases match."}</p>
      ) : (
        <ReleasesTable releases={list.releases} attention={list.attention} caption="Releases, newest first" />
      )}
      {list !== null && (filters.attention || list.deadLetters.length > 0) && <DeadLetters letters={list.deadLetters} />}
      {list !== null && <p class="muted small">Looking at the {list.window} most recent releases; updates live.</p>}
    </>
  );
}
