import type { ReleaseDetail } from "@baton/contracts";
import { duration } from "../format";

// Each test's result (what was expected, what came back, how long it took) and the warm-up's error
// rate against its limit. While validation runs, how far it has got.

export interface ValidationProgress {
  readonly tests?: { readonly done: number; readonly total: number };
  readonly warmup?: { readonly done: number; readonly total: number; readonly errors: number };
}

function Meter({ label, value, max, limit }: { label: string; value: number; max: number; limit?: number }) {
  const pct = max <= 0 ? 0 : Math.min(100, (value / max) * 100);
  return (
    <div class="meter" role="img" aria-label={label}>
      <span class="meter-fill" style={{ width: `${pct}%` }} />
      {limit !== undefined && <span class="meter-limit" style={{ left: `${Math.min(100, (limit / max) * 100)}%` }} />}
    </div>
  );
}

export function ValidationPanel({ detail, progress }: { detail: ReleaseDetail; progress: ValidationProgress }) {
  const v = detail.validation;
  if (v === null) {
    if (progress.tests === undefined && progress.warmup === undefined) return <p class="muted">Validation has not run{detail.release.phase === "validating" ? " yet" : ""}.</p>;
    return (
      <div class="validation-progress">
        {progress.tests && <p>Tests: {progress.tests.done} of {progress.tests.total} done</p>}
        {progress.warmup && (
          <>
            <p>
              Warm-up: {progress.warmup.done} of {progress.warmup.total} requests, {progress.warmup.errors} errors
            </p>
            <Meter label={`warm-up ${progress.warmup.done} of ${progress.warmup.total}`} value={progress.warmup.done} max={progress.warmup.total} />
          </>
        )}
      </div>
    );
  }
  const w = v.warmup;
  return (
    <div>
      {v.checks.length > 0 && (
        <table class="checks">
          <caption>Tests</caption>
          <thead>
            <tr>
              <th scope="col">Test</th>
              <th scope="col">Result</th>
              <th scope="col">Expected</th>
              <th scope="col">Got</th>
              <th scope="col" class="num">Latency</th>
            </tr>
          </thead>
          <tbody>
            {v.checks.map((c) => (
              <tr key={c.name} class={c.passed ? "passed" : "failed"} data-check={c.name}>
                <th scope="row">{c.name}</th>
                <td>
                  <span class={`badge tone-${c.passed ? "good" : "bad"}`}>{c.passed ? "passed" : "failed"}</span>
                </td>
                <td>{c.expected}</td>
                <td>{c.got}</td>
                <td class="num">{duration(c.latencyMs)}</td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
      {w !== null && (
        <div class={`warmup ${w.passed ? "passed" : "failed"}`} data-testid="warmup">
          <h3>
            Warm-up <span class={`badge tone-${w.passed ? "good" : "bad"}`}>{w.passed ? "passed" : "failed"}</span>
          </h3>
          <p>
            {w.errors} errors in {w.requests} requests: error rate {(w.errorRate * 100).toFixed(1)}% (limit {(w.maxErrorRate * 100).toFixed(1)}%); p50 {duration(w.p50Ms)}, p99 {duration(w.p99Ms)}
          </p>
          <Meter label={`error rate ${(w.errorRate * 100).toFixed(1)}% against a limit of ${(w.maxErrorRate * 100).toFixed(1)}%`} value={w.errorRate} max={Math.max(w.errorRate, w.maxErrorRate) * 1.25 || 0.01} limit={w.maxErrorRate} />
        </div>
      )}
      {v.checks.length === 0 && w === null && <p class="muted">The release asked for no tests and no warm-up.</p>}
    </div>
  );
}
