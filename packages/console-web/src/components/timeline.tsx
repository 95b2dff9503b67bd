import { useEffect, useState } from "preact/hooks";
import type { Phase, ReleaseSummary } from "@baton/contracts";
import { duration, phaseLabel } from "../format";
import { toneOf } from "./phase-badge";

// Time spent in each phase, as bars on one time axis (a Gantt chart, like Spinnaker's execution
// view). The current phase's bar grows while the page is open. The durations are text too.

interface Bar {
  readonly phase: Phase;
  readonly start: number;
  readonly end: number;
  readonly open: boolean;
}

function bars(r: ReleaseSummary, now: number, terminal: boolean): Bar[] {
  const entered = (Object.entries(r.enteredAt) as [Phase, string][]).map(([phase, at]) => ({ phase, at: Date.parse(at) })).sort((a, b) => a.at - b.at);
  return entered.map((e, i) => {
    const next = entered[i + 1];
    const last = next === undefined;
    return { phase: e.phase, start: e.at, end: last ? (terminal ? e.at : Math.max(now, e.at)) : next.at, open: last && !terminal };
  });
}

export function Timeline({ release, terminal }: { release: ReleaseSummary; terminal: boolean }) {
  const [now, setNow] = useState(Date.now());
  useEffect(() => {
    if (terminal) return;
    const t = setInterval(() => setNow(Date.now()), 250);
    return () => clearInterval(t);
  }, [terminal]);
  const rows = bars(release, now, terminal);
  const t0 = rows[0]?.start ?? now;
  const total = Math.max(1, (rows.at(-1)?.end ?? now) - t0);
  return (
    <table class="timeline">
      <caption class="visually-hidden">Time in each phase</caption>
      <thead>
        <tr>
          <th scope="col">Phase</th>
          <th scope="col">Time</th>
          <th scope="col" class="timeline-axis">
            <span aria-hidden="true">0</span>
            <span>total {duration(total)}</span>
          </th>
        </tr>
      </thead>
      <tbody>
        {rows.map((b) => (
          <tr key={b.phase} data-phase={b.phase}>
            <th scope="row">{phaseLabel(b.phase)}</th>
            <td class="num">{b.end === b.start && !b.open ? "end" : `${duration(b.end - b.start)}${b.open ? " …" : ""}`}</td>
            <td class="timeline-track" aria-hidden="true">
              <span
                class={`timeline-bar tone-${toneOf(b.phase)}${b.open ? " open" : ""}`}
                style={{ left: `${((b.start - t0) / total) * 100}%`, width: `max(3px, ${((b.end - b.start) / total) * 100}%)` }}
              />
            </td>
          </tr>
        ))}
      </tbody>
    </table>
  );
}
