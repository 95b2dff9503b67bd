import { metricsOf, type AnalysisPhase, type AnyEvent, type ReleaseState } from "@baton/contracts";
import { describeEvent } from "./describe.js";
import { bar, color, duration, plural } from "./format.js";
import { columnsWide, cut, printable } from "./terminal-text.js";

// How `release --watch` shows a release: in a terminal, a live list of stages with a tick or a
// cross and its duration, pods Ready n/m, validation and warm-up bars, the shutdown countdown, the
// plan's warnings; elsewhere, one plain line per event.
//
// The live list is redrawn in place: the cursor goes up as many rows as the last frame took and
// the frame is written again. That count holds only if every line takes one row, so while live
// each line is cut to the terminal's width (with an ellipsis; one column is left free, as some
// terminals wrap as soon as the last column is written), control characters in details become
// spaces, and a frame taller than the terminal keeps its header and last rows. When the release
// ends, the last frame is written in full (a line may wrap then: nothing is redrawn after it).
// A resize (SIGWINCH, the stream's 'resize') redraws at the new width; when the terminal got
// narrower it may have re-wrapped the last frame's lines (most terminals reflow), so the redraw
// goes up as many rows as those lines can take now and clears to the end of the screen.

export interface Display {
  event(e: AnyEvent, state: ReleaseState | undefined): void;
  progress(p: Record<string, unknown>): void;
  end(): void;
}

export function plainDisplay(out: NodeJS.WritableStream = process.stdout): Display {
  let previous: number | undefined;
  return {
    event(e) {
      const t = Date.parse(e.time);
      const delta = previous === undefined ? "" : `+${duration(t - previous)}`;
      previous = t;
      out.write(`${e.time}  ${delta.padStart(8)}  ${e.name.padEnd(19)}  ${printable(describeEvent(e))}\n`);
    },
    progress() {},
    end() {},
  };
}

/** Where the live display writes: a terminal's stream (columns, rows, 'resize'). */
export type TerminalOut = Pick<NodeJS.WriteStream, "write" | "columns" | "rows" | "on" | "off">;

type Status = "pending" | "running" | "done" | "failed" | "skipped";
interface Row {
  label: string;
  status: Status;
  detail: string;
  start?: number;
  end?: number;
}

const KEYS = ["plan", "pods", "validation", "analysis", "promotion", "switch", "verify", "drain", "shutdown", "rollback"] as const;
type Key = (typeof KEYS)[number];

const SPINNER = ["⠋", "⠙", "⠹", "⠸", "⠼", "⠴", "⠦", "⠧", "⠇", "⠏"];

export function ttyDisplay(releaseId: string, out: TerminalOut = process.stdout): Display {
  const rows = new Map<Key, Row>(
    [
      ["plan", "plan"],
      ["pods", "pods live"],
      ["validation", "validation"],
      ["analysis", "analysis"],
      ["promotion", "promotion"],
      ["switch", "switch traffic"],
      ["verify", "verify on prod"],
      ["drain", "drain v1"],
      ["shutdown", "shut down v1"],
      ["rollback", "roll back"],
    ].map(([k, label]) => [k as Key, { label: label as string, status: "pending", detail: "" }]),
  );
  let state: ReleaseState | undefined;
  let tick = 0;
  let header = `release ${releaseId}`;
  const set = (k: Key, status: Status, detail: string | undefined, at: number) => {
    const r = rows.get(k) as Row;
    if (status === "running" && r.start === undefined) r.start = at;
    if ((status === "done" || status === "failed") && r.end === undefined) r.end = at;
    r.status = status;
    if (detail !== undefined) r.detail = printable(detail);
  };
  const frame = () => {
    const lines = [color.bold(header), ...KEYS.filter((k) => visible(k, rows, state)).map((k) => line(rows.get(k) as Row, tick))];
    for (const w of state?.warnings ?? []) lines.push(color.yellow(`  ! warning: ${printable(w.message)}`));
    const countdown = countdownLine(state);
    if (countdown) lines.push(color.dim(`  ${countdown}`));
    return lines;
  };
  const screen = liveScreen(out);
  const draw = (final = false) => screen.draw(frame(), final);
  const checks = { tests: { done: 0, total: 0 }, warmup: { done: 0, total: 0, errors: 0 } };
  const timer = setInterval(() => {
    tick++;
    draw();
  }, 100);
  return {
    event(e, s) {
      state = s ?? state;
      if (e.name === "ReleaseRequested") header = `release ${releaseId}  ${printable(describeEvent(e))}`;
      applyEvent(e, set, s);
      draw();
    },
    progress(p) {
      const pods = p.pods as { ready: number; desired: number } | undefined;
      if (pods && rows.get("pods")?.status === "running") set("pods", "running", `Ready ${pods.ready}/${pods.desired}`, Date.now());
      // The validator reports tests and warm-up separately: { validation: {done,total} }, { warmup: {done,total,errors} }.
      const tests = p.validation as { done: number; total: number } | undefined;
      const warmup = p.warmup as { done: number; total: number; errors: number } | undefined;
      if (tests) checks.tests = tests;
      if (warmup) checks.warmup = warmup;
      if ((tests || warmup) && rows.get("validation")?.status === "running") {
        const t = checks.tests.total > 0 ? `tests ${bar(checks.tests.done, checks.tests.total, 10)} ${checks.tests.done}/${checks.tests.total}` : "";
        const w = checks.warmup.total > 0 ? `  warm-up ${bar(checks.warmup.done, checks.warmup.total)} ${checks.warmup.done}/${checks.warmup.total} (${plural(checks.warmup.errors, "error")})` : "";
        set("validation", "running", `${t}${w}`.trim(), Date.now());
      }
    },
    end() {
      clearInterval(timer);
      screen.stop();
      draw(true);
    },
  };
}

/**
 * Redraws a frame of lines in place (see the top of this file): cut to the width while live, in
 * full for the final frame; a resize redraws at once. Knows how many rows its last frame took.
 */
function liveScreen(out: TerminalOut): { draw(lines: string[], final: boolean): void; stop(): void } {
  let lines: string[] = []; // the frame asked for last
  let shown: string[] = []; // what was written of it
  let rowsUp = 0; // rows from the top of the written frame down to the cursor
  let columns = out.columns ?? 80;
  const write = (final: boolean) => {
    shown = final ? lines : fitted(lines, Math.max(10, columns - 1), out.rows);
    let text = rowsUp > 0 ? `\x1b[${rowsUp}A\r` : "\r";
    for (const l of shown) text += `\x1b[2K${l}\n`;
    out.write(`${text}\x1b[J`); // clear below: a shorter frame leaves nothing of a longer one
    rowsUp = shown.length;
  };
  const resized = () => {
    const now = out.columns ?? 80;
    // narrower: the terminal may have re-wrapped the written lines, each taking more rows now
    if (now < columns) rowsUp = shown.reduce((n, l) => n + Math.max(1, Math.ceil(columnsWide(l) / now)), 0);
    columns = now;
    write(false);
  };
  out.on("resize", resized);
  return {
    draw(frame, final) {
      lines = frame;
      write(final);
    },
    stop() {
      out.off("resize", resized);
    },
  };
}

/** Each line cut to the width; a frame taller than the terminal keeps its header and last lines. */
function fitted(lines: string[], width: number, rows: number | undefined): string[] {
  const room = rows === undefined ? lines.length : Math.max(2, rows - 1);
  const kept = lines.length <= room ? lines : [lines[0] ?? "", ...lines.slice(lines.length - (room - 1))];
  return kept.map((l) => cut(l, width));
}

function applyEvent(e: AnyEvent, set: (k: Key, s: Status, d: string | undefined, at: number) => void, s: ReleaseState | undefined): void {
  const at = Date.parse(e.time);
  const d = describeEvent(e);
  switch (e.name) {
    case "ReleaseRequested":
      return set("plan", "running", "", at);
    case "ReleaseRejected":
      return set("plan", "failed", d, at);
    case "ReleasePlanned":
      set("plan", "done", d, at);
      return set("pods", "running", `Ready 0/${s?.spec?.replicas ?? "?"}`, at);
    case "PodsLive":
      set("pods", "done", d, at);
      return set("validation", "running", "", at);
    case "PodsFailed":
      return set("pods", "failed", d, at);
    case "ValidationPassed":
      set("validation", "done", d, at);
      if (metricsOf(s?.spec ?? null, "prePromotion").length > 0) return set("analysis", "running", "", at);
      return promote(e.data.releaseId, set, s, at);
    case "AnalysisStarted":
    case "MeasurementTaken":
      return set(rowOf(e.data.phase), "running", d, at);
    case "MeasurementDue":
      return undefined;
    case "AnalysisPassed":
      set(rowOf(e.data.phase), "done", d, at);
      return e.data.phase === "prePromotion" ? promote(e.data.releaseId, set, s, at) : set("drain", "running", "", at);
    case "AnalysisFailed":
      return set(rowOf(e.data.phase), "failed", d, at);
    case "AnalysisInconclusive":
      return set(rowOf(e.data.phase), "running", `inconclusive: ${e.data.reason}; waiting: baton promote|abort ${e.data.releaseId}`, at);
    case "ValidationFailed":
      return set("validation", "failed", d, at);
    case "PromotionApproved":
      if (s?.phase === "switched" || (s?.phase === "promoting" && s.enteredAt.inconclusive !== undefined)) {
        const row = s.phase === "switched" ? "verify" : "analysis";
        set(row, "done", `inconclusive, promoted ${d}`, at);
        return set(s.phase === "switched" ? "drain" : "switch", "running", "", at);
      }
      set("promotion", "done", d, at);
      return set("switch", "running", "", at);
    case "TrafficSwitched":
      set("switch", "done", d, at);
      return set(s?.phase === "verifying" ? "verify" : "drain", "running", "", at);
    case "DrainDue":
      return set("drain", "running", d, at);
    case "DrainStarted":
      set("drain", "done", d, at);
      return set("shutdown", "running", "", at);
    case "ShutdownDue":
      return set("shutdown", "running", d, at);
    case "ReleaseCompleted":
      set("drain", s?.previousRevision === null ? "skipped" : "done", s?.previousRevision === null ? "no v1: first live revision" : undefined, at);
      return set("shutdown", s?.previousRevision === null ? "skipped" : "done", d, at);
    case "AbortRequested":
    case "DeadlineExceeded":
      return s?.phase === "rolling_back" ? set("rollback", "running", d, at) : undefined;
    case "TrafficSwitchedBack":
      return set("rollback", "running", d, at);
    case "ReleaseRolledBack":
      return set("rollback", "done", d, at);
    case "ReleaseFailed":
      return set("rollback", "failed", d, at);
  }
}

/** The row of an analysis. */
function rowOf(phase: AnalysisPhase): Key {
  return phase === "prePromotion" ? "analysis" : "verify";
}

/** Validation (and pre-promotion analysis) passed: manual promotion waits, automatic switches. */
function promote(releaseId: string, set: (k: Key, s: Status, d: string | undefined, at: number) => void, s: ReleaseState | undefined, at: number): void {
  const manual = s?.spec?.promotion === "manual";
  set(manual ? "promotion" : "switch", "running", manual ? `waiting: baton promote ${releaseId}` : "", at);
}

function visible(k: Key, rows: Map<Key, Row>, s: ReleaseState | undefined): boolean {
  if (k === "promotion") return s?.spec?.promotion === "manual";
  if (k === "analysis") return metricsOf(s?.spec ?? null, "prePromotion").length > 0;
  if (k === "verify") return metricsOf(s?.spec ?? null, "postPromotion").length > 0 && s?.previousRevision !== null;
  if (k === "rollback") return rows.get(k)?.status !== "pending";
  return true;
}

function line(r: Row, tick: number): string {
  const icon = { pending: color.dim("·"), running: color.yellow(SPINNER[tick % SPINNER.length] ?? "*"), done: color.green("✓"), failed: color.red("✗"), skipped: color.dim("-") }[r.status];
  const took = r.start !== undefined ? duration((r.end ?? Date.now()) - r.start) : "";
  return `  ${icon} ${r.label.padEnd(15)} ${took.padStart(8)}  ${r.detail}`;
}

function countdownLine(s: ReleaseState | undefined): string | undefined {
  if (s?.spec === null || s === undefined) return undefined;
  const left = (from: string | undefined, seconds: number) => (from === undefined ? undefined : Date.parse(from) + seconds * 1000 - Date.now());
  if (s.phase === "switched") {
    const ms = left(s.enteredAt.switched, s.spec.shutdown.delaySeconds);
    return ms === undefined ? undefined : `v1 keeps running for fast rollback: shutdown starts in ${duration(Math.max(0, ms))}`;
  }
  if (s.phase === "draining") {
    const ms = left(s.enteredAt.draining, s.spec.shutdown.gracePeriodSeconds);
    return ms === undefined ? undefined : `v1 draining: what is left is forced down in ${duration(Math.max(0, ms))}`;
  }
  return undefined;
}
