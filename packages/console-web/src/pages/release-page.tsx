import { useEffect, useState } from "preact/hooks";
import type { PodsView, ReleaseDetail, StreamMessage } from "@baton/contracts";
import { ApiFailure, api, follow } from "../api";
import { ActionsBar } from "../components/actions-bar";
import { AnalysisPanel } from "../components/analysis-panel";
import { DeadLetters } from "../components/dead-letters";
import { EventsList } from "../components/events-list";
import { PhaseBadge } from "../components/phase-badge";
import { Pipeline } from "../components/pipeline";
import { PodsPanel } from "../components/pods-panel";
import { Timeline } from "../components/timeline";
import { ValidationPanel, type ValidationProgress } from "../components/validation-panel";
import { dateTime } from "../format";
import { appPath, onLink } from "../router";

// What happened to this release? Its pipeline, the time in each phase, its pods, its checks, its
// metrics against their conditions, why it ended as it did, every event with who triggered it, and
// what I may do about it now. Live.

const TERMINAL = new Set(["completed", "rolled_back", "failed", "rejected"]);

export function ReleasePage({ id }: { id: string }) {
  const [detail, setDetail] = useState<ReleaseDetail | null>(null);
  const [error, setError] = useState<{ status: number; text: string } | null>(null);
  const [pods, setPods] = useState<PodsView | null>(null);
  const [podProgress, setPodProgress] = useState<{ ready: number; desired: number } | null>(null);
  const [validation, setValidation] = useState<ValidationProgress>({});

  useEffect(() => {
    let live = true;
    const load = () =>
      api.release(id).then(
        (d) => live && (setDetail(d), setError(null)),
        (e: Error) => live && setError({ status: e instanceof ApiFailure ? e.status : 0, text: e.message }),
      );
    void load();
    const onMessage = (m: StreamMessage) => {
      if ("releaseId" in m && m.releaseId !== id) return;
      switch (m.type) {
        case "event":
          setDetail((d) => (d === null || d.events.some((e) => e.id === m.event.id) ? d : { ...d, events: [...d.events, m.event] }));
          // The event changed what the state holds (checks, pods, outcome): read it again.
          if (["ValidationPassed", "ValidationFailed", "PodsLive", "PodsFailed", "DrainStarted", "ReleaseCompleted", "ReleaseRolledBack", "ReleaseFailed"].includes(m.event.name)) void load();
          return;
        case "release":
          if (m.release.releaseId === id) setDetail((d) => (d === null ? d : { ...d, release: m.release }));
          return;
        case "actions":
          setDetail((d) => (d === null ? d : { ...d, actions: m.actions }));
          return;
        case "pods":
          setPods(m.pods);
          return;
        case "progress": {
          const p = m.progress as { pods?: { ready: number; desired: number }; validation?: ValidationProgress["tests"]; warmup?: ValidationProgress["warmup"] };
          if (p.pods) setPodProgress(p.pods);
          if (p.validation || p.warmup) setValidation((v) => ({ ...v, ...(p.validation ? { tests: p.validation } : {}), ...(p.warmup ? { warmup: p.warmup } : {}) }));
          return;
        }
        case "dead-letter":
          if (m.letter.releaseId === id) void load();
          return;
      }
    };
    const close = follow(id, onMessage, () => void load());
    return () => {
      live = false;
      close();
    };
  }, [id]);

  if (error !== null && detail === null) {
    return (
      <>
        <h1>Release {id}</h1>
        <p role="alert" class="result error">
          {error.status === 404 ? `No release ${id} that you may see.` : error.text}
        </p>
      </>
    );
  }
  if (detail === null) return <p aria-busy="true">Loading release {id}…</p>;
  const r = detail.release;
  const terminal = TERMINAL.has(r.phase);
  return (
    <>
      <header class="release-head">
        <h1>
          {r.app !== null && r.namespace !== null ? (
            <a href={appPath(r.namespace, r.app)} onClick={onLink}>
              {r.namespace}/{r.app}
            </a>
          ) : (
            "rejected request"
          )}{" "}
          <span class="version">{r.version ?? ""}</span>
        </h1>
        <p class="release-meta">
          <PhaseBadge phase={r.phase} /> release <code>{r.releaseId}</code>
          {r.revision !== null && <> · revision {r.revision}{r.previousRevision !== null ? ` (from ${r.previousRevision})` : " (first release)"}</>}
          {" · "}started {dateTime(r.createdAt)}
          {detail.requestedBy && <> by {detail.requestedBy}</>}
          {r.promotion === "manual" && " · manual promotion"}
          {r.approvedBy && <> · promoted by <strong>{r.approvedBy}</strong></>}
          {r.abortedBy && <> · aborted by <strong>{r.abortedBy}</strong></>}
        </p>
        <ActionsBar releaseId={r.releaseId} actions={detail.actions} />
      </header>
      {r.outcome && (
        <section class={`panel outcome tone-${r.phase === "completed" ? "good" : "bad"}`} aria-labelledby="outcome-title">
          <h2 id="outcome-title">{r.phase === "rolled_back" ? "Rolled back" : r.phase === "failed" ? "Failed" : r.phase === "rejected" ? "Rejected" : "Why"}</h2>
          <p class="outcome-reason">
            {r.outcome.reason}
            {r.outcome.stage && <span class="muted"> ({r.outcome.stage})</span>}
          </p>
          {detail.failures.length > 0 && (
            <table class="failures">
              <caption>Failed checks</caption>
              <thead>
                <tr>
                  <th scope="col">Check</th>
                  <th scope="col">Expected</th>
                  <th scope="col">Got</th>
                </tr>
              </thead>
              <tbody>
                {detail.failures.map((f) => (
                  <tr key={f.name} data-failure={f.name}>
                    <th scope="row">{f.name}</th>
                    <td>{f.expected}</td>
                    <td>{f.got}</td>
                  </tr>
                ))}
              </tbody>
            </table>
          )}
        </section>
      )}
      <section class="panel" aria-labelledby="pipeline-title">
        <h2 id="pipeline-title">Pipeline</h2>
        <Pipeline release={r} />
      </section>
      <section class="panel" aria-labelledby="timeline-title">
        <h2 id="timeline-title">Timeline</h2>
        <Timeline release={r} terminal={terminal} />
      </section>
      <div class="two">
        <section class="panel" aria-labelledby="pods-title">
          <h2 id="pods-title">Pods</h2>
          <PodsPanel detail={detail} live={pods} progress={r.phase === "planned" ? podProgress : null} />
        </section>
        <section class="panel" aria-labelledby="validation-title">
          <h2 id="validation-title">Validation</h2>
          <ValidationPanel detail={detail} progress={validation} />
        </section>
      </div>
      <AnalysisPanel events={detail.events} />
      {detail.postRelease.length > 0 && (
        <section class="panel" aria-labelledby="post-title">
          <h2 id="post-title">Post-release activities</h2>
          <ul class="activities">
            {detail.postRelease.map((a) => (
              <li key={a.name}>
                <span class={`badge tone-${a.ok ? "good" : a.skipped ? "muted" : "bad"}`}>{a.ok ? "ok" : a.skipped ? "not run" : "failed"}</span> {a.name} ({a.kind}): {a.detail}
              </li>
            ))}
          </ul>
        </section>
      )}
      <DeadLetters letters={detail.deadLetters} title="Dead letters of this release" />
      <section class="panel" aria-labelledby="events-title">
        <h2 id="events-title">
          Events <span class="count">{detail.events.length}</span>
        </h2>
        <EventsList events={detail.events} />
      </section>
    </>
  );
}
