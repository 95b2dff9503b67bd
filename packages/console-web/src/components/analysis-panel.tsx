import type { ConsoleEvent } from "@baton/contracts";

// Analysis (issue 14) as a picture: for each metric of each analysis, its measurements in order,
// the value against the condition's threshold, each point coloured by its verdict, and the last
// measurement's message in words ("error-rate: 0.093 did not pass result < 0.05"). Built from the
// release's MeasurementTaken events, so it fills in live as they arrive.

interface Point {
  readonly index: number;
  readonly value: number | null;
  readonly verdict: string;
  readonly message: string;
}

interface Series {
  readonly phase: string;
  readonly metric: string;
  readonly condition: string;
  readonly points: readonly Point[];
}

const PHASE_TITLE: Record<string, string> = { prePromotion: "before the switch", postPromotion: "after the switch" };
const W = 480;
const H = 110;
const PAD = { left: 44, right: 10, top: 10, bottom: 18 };

function seriesOf(events: readonly ConsoleEvent[]): Series[] {
  const byKey = new Map<string, { phase: string; metric: string; condition: string; points: Point[] }>();
  for (const e of events) {
    if (e.name !== "MeasurementTaken") continue;
    const d = e.data as { phase: string; metric: string; index: number; value: string | null; condition: string; verdict: string; message: string };
    const key = `${d.phase}/${d.metric}`;
    const s = byKey.get(key) ?? { phase: d.phase, metric: d.metric, condition: d.condition, points: [] };
    byKey.set(key, s);
    if (!s.points.some((p) => p.index === d.index)) s.points.push({ index: d.index, value: scalar(d.value), verdict: d.verdict, message: d.message });
  }
  return [...byKey.values()].map((s) => ({ ...s, points: s.points.sort((a, b) => a.index - b.index) }));
}

/** A measured value as a number to plot: a scalar, or a vector's first element; null when none. */
function scalar(value: string | null): number | null {
  if (value === null) return null;
  const text = value.trim().replace(/^\[\s*([^,\]]+).*$/, "$1");
  const n = Number(text);
  return text === "" || !Number.isFinite(n) ? null : n;
}

/**
 * The lines to draw: each part of the condition ("success: result < 0.05; failure: result > 0.2")
 * that compares `result` (or `result[0]`) with a number.
 */
function thresholdsOf(condition: string): { label: string; value: number }[] {
  return condition.split(/;\s*/).flatMap((part) => {
    const m = /^\s*(?:(?:success|failure):\s*)?result(?:\[0\])?\s*(?:<=|>=|<|>|==|!=)\s*(-?\d+(?:\.\d+)?(?:e-?\d+)?)\s*$/i.exec(part);
    return m?.[1] === undefined ? [] : [{ label: part.trim(), value: Number(m[1]) }];
  });
}

function Chart({ s }: { s: Series }) {
  const thresholds = thresholdsOf(s.condition);
  const values = s.points.flatMap((p) => (p.value === null ? [] : [p.value]));
  const marks = thresholds.map((t) => t.value);
  const top = Math.max(...values, ...marks, 0) * 1.15 || 1;
  const bottom = Math.min(...values, ...marks, 0);
  const slots = Math.max(s.points.length, 2);
  const x = (i: number) => PAD.left + (i / (slots - 1)) * (W - PAD.left - PAD.right);
  const y = (v: number) => H - PAD.bottom - ((v - bottom) / (top - bottom || 1)) * (H - PAD.top - PAD.bottom);
  const plotted = s.points.map((p, i) => ({ ...p, cx: x(i), cy: p.value === null ? H - PAD.bottom : y(p.value) }));
  const line = plotted.filter((p) => p.value !== null).map((p) => `${p.cx.toFixed(1)},${p.cy.toFixed(1)}`).join(" ");
  const last = s.points.at(-1);
  const label = `${s.metric} ${PHASE_TITLE[s.phase] ?? s.phase}: ${s.points.length} measurement${s.points.length === 1 ? "" : "s"} against ${s.condition}; last: ${last?.message ?? "none"}`;
  return (
    <svg class="analysis-chart" viewBox={`0 0 ${W} ${H}`} role="img" aria-label={label} data-metric={s.metric}>
      <text x={PAD.left - 6} y={y(top) + 4} class="axis" text-anchor="end">{fmt(top)}</text>
      <text x={PAD.left - 6} y={y(bottom) + 4} class="axis" text-anchor="end">{fmt(bottom)}</text>
      <line x1={PAD.left} x2={W - PAD.right} y1={y(bottom)} y2={y(bottom)} class="baseline" />
      {thresholds.map((t) => (
        <g key={t.label} class="threshold" data-threshold={t.value}>
          <line x1={PAD.left} x2={W - PAD.right} y1={y(t.value)} y2={y(t.value)} />
          <text x={W - PAD.right} y={y(t.value) - 3} text-anchor="end">{t.label}</text>
        </g>
      ))}
      {line && <polyline points={line} class="series" />}
      {plotted.map((p) => (
        <circle key={p.index} cx={p.cx} cy={p.cy} r={4} class={`point verdict-${p.verdict}${p.value === null ? " no-value" : ""}`} data-verdict={p.verdict}>
          <title>{`#${p.index + 1}: ${p.message}`}</title>
        </circle>
      ))}
    </svg>
  );
}

function fmt(n: number): string {
  return Math.abs(n) >= 100 || n === 0 ? String(Math.round(n)) : n.toPrecision(2);
}

export function AnalysisPanel({ events }: { events: readonly ConsoleEvent[] }) {
  const series = seriesOf(events);
  if (series.length === 0) return null;
  return (
    <section class="panel" aria-labelledby="analysis-title">
      <h2 id="analysis-title">Analysis</h2>
      <div class="analysis">
        {series.map((s) => {
          const last = s.points.at(-1);
          return (
            <figure key={`${s.phase}/${s.metric}`} class="analysis-metric" data-series={`${s.phase}/${s.metric}`}>
              <figcaption>
                <strong>{s.metric}</strong> <span class="muted">{PHASE_TITLE[s.phase] ?? s.phase}</span>{" "}
                {last && <span class={`badge verdict-${last.verdict}`}>{last.verdict}</span>}
              </figcaption>
              <Chart s={s} />
              {last && <p class="analysis-last">{last.message}</p>}
            </figure>
          );
        })}
      </div>
    </section>
  );
}
