import type { AttentionReason, ReleaseSummary } from "@baton/contracts";
import { age, dateTime, duration } from "../format";
import { appPath, onLink, releasePath } from "../router";
import { PhaseBadge } from "./phase-badge";

// Releases as rows, newest first: app, version, phase (and why it needs attention), when, how long.

export function ReleasesTable({ releases, attention, showApp = true, caption }: { releases: readonly ReleaseSummary[]; attention: readonly AttentionReason[]; showApp?: boolean; caption: string }) {
  const label = (id: string) => attention.find((a) => a.id === id)?.label ?? id;
  return (
    <table class="releases">
      <caption class="visually-hidden">{caption}</caption>
      <thead>
        <tr>
          <th scope="col">Release</th>
          {showApp && <th scope="col">App</th>}
          <th scope="col">Version</th>
          <th scope="col">Phase</th>
          <th scope="col" class="num">Rev</th>
          <th scope="col">Started</th>
          <th scope="col" class="num">Took</th>
          <th scope="col">Who</th>
        </tr>
      </thead>
      <tbody>
        {releases.map((r) => {
          const end = r.phase === "completed" || r.phase === "rolled_back" || r.phase === "failed" || r.phase === "rejected" ? Date.parse(r.updatedAt) : Date.now();
          return (
            <tr key={r.releaseId} data-release={r.releaseId} data-phase={r.phase}>
              <th scope="row">
                <a href={releasePath(r.releaseId)} onClick={onLink}>
                  {r.releaseId}
                </a>
              </th>
              {showApp && (
                <td>
                  {r.app !== null && r.namespace !== null ? (
                    <a href={appPath(r.namespace, r.app)} onClick={onLink}>
                      {r.namespace}/{r.app}
                    </a>
                  ) : (
                    "–"
                  )}
                </td>
              )}
              <td>{r.version ?? "–"}</td>
              <td>
                <PhaseBadge phase={r.phase} />
                {r.attention.map((a) => (
                  <span key={a} class="attention" title="needs attention">
                    {label(a)}
                  </span>
                ))}
              </td>
              <td class="num">{r.revision ?? "–"}</td>
              <td>
                <time dateTime={r.createdAt} title={dateTime(r.createdAt)}>
                  {age(r.createdAt)}
                </time>
              </td>
              <td class="num">{duration(end - Date.parse(r.createdAt))}</td>
              <td>{r.approvedBy ? `promoted by ${r.approvedBy}` : r.abortedBy ? `aborted by ${r.abortedBy}` : ""}</td>
            </tr>
          );
        })}
      </tbody>
    </table>
  );
}
