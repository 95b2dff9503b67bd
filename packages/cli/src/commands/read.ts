import { replay, type ReleaseState } from "@baton/contracts";
import { listDeadLetters, type OpenRuntime } from "@baton/runtime";
import { withRuntime } from "../connect.js";
import { describeEvent } from "../describe.js";
import { CliError, EXIT } from "../errors.js";
import { age, color, duration, table } from "../format.js";

// The read commands: status, list, events, replay, dlq. Each takes --json.

async function stateOf(rt: OpenRuntime, releaseId: string): Promise<ReleaseState> {
  const stored = await rt.store.get(releaseId);
  if (stored === null) throw new CliError(`no release ${releaseId} in Redis (prefix ${rt.config.BATON_PREFIX})`, EXIT.failed);
  return stored.state;
}

/** The fields `status --json` promises: id, app, namespace, phase, revision, per-stage timestamps. */
export function statusView(s: ReleaseState) {
  return {
    releaseId: s.releaseId,
    app: s.app,
    namespace: s.namespace,
    phase: s.phase,
    revision: s.revision,
    previousRevision: s.previousRevision,
    image: s.spec?.image ?? null,
    createdAt: s.createdAt,
    updatedAt: s.updatedAt,
    timestamps: s.enteredAt,
    pods: s.pods,
    outcome: s.outcome,
    warnings: s.warnings ?? [],
    analysis: s.analysis ?? null,
    lastEvent: s.lastEvent,
  };
}

export async function statusCommand(releaseId: string | undefined, f: { json?: boolean }): Promise<number> {
  return withRuntime(async (rt) => {
    if (releaseId === undefined) return listCommand({ json: f.json, limit: "20" }, rt);
    const s = await stateOf(rt, releaseId);
    if (f.json) {
      process.stdout.write(`${JSON.stringify(statusView(s))}\n`);
      return EXIT.ok;
    }
    const lines = [
      `${color.bold(s.releaseId)}  ${s.namespace}/${s.app}  ${s.spec?.image ?? ""}`,
      `phase     ${s.phase}${s.outcome ? ` — ${s.outcome.reason}` : ""}`,
      `revision  ${s.revision ?? "-"}${s.previousRevision ? ` (from ${s.previousRevision})` : ""}`,
      ...(s.warnings ?? []).map((w) => color.yellow(`warning   ${w.message}`)),
      ...Object.entries(s.enteredAt).map(([p, t]) => `  ${p.padEnd(19)} ${t}`),
    ];
    lines.push(...analysisLines(s));
    for (const f2 of s.outcome?.failures ?? []) lines.push(`  ✗ ${f2.name}: expected ${f2.expected}, got ${f2.got}`);
    process.stdout.write(`${lines.join("\n")}\n`);
    return EXIT.ok;
  });
}

/** Each analysis that ran: its verdict, then each metric's measurements, latest last. */
export function analysisLines(s: ReleaseState): string[] {
  const out: string[] = [];
  for (const phase of ["prePromotion", "postPromotion"] as const) {
    const run = s.analysis?.[phase];
    if (run == null) continue;
    out.push(`analysis  ${phase} ${run.verdict} (${run.measurements.length} measurement${run.measurements.length === 1 ? "" : "s"})`);
    for (const m of run.measurements) {
      const mark = m.verdict === "successful" ? color.green("✓") : m.verdict === "failed" ? color.red("✗") : color.yellow(m.verdict === "error" ? "!" : "?");
      out.push(`  ${mark} #${m.index + 1} ${m.message}`);
    }
  }
  return out;
}

export async function listCommand(f: { json?: boolean; limit?: string }, open?: OpenRuntime): Promise<number> {
  const run = async (rt: OpenRuntime) => {
    const states = await rt.store.list(Number(f.limit ?? 20));
    if (f.json) {
      for (const s of states) process.stdout.write(`${JSON.stringify(statusView(s))}\n`);
      return EXIT.ok;
    }
    const rows = states.map((s) => [s.releaseId, `${s.namespace ?? "-"}/${s.app ?? "-"}`, s.phase, String(s.revision ?? "-"), age(s.createdAt)]);
    process.stdout.write(`${table(["RELEASE", "APP", "PHASE", "REV", "AGE"], rows)}\n`);
    return EXIT.ok;
  };
  return open ? run(open) : withRuntime(run);
}

export async function eventsCommand(releaseId: string, f: { json?: boolean }): Promise<number> {
  return withRuntime(async (rt) => {
    const events = await rt.bus.releaseEvents(releaseId);
    if (events.length === 0) throw new CliError(`no events of release ${releaseId} in stream ${rt.bus.subjects.eventsStream}`, EXIT.failed);
    if (f.json) {
      for (const e of events) process.stdout.write(`${JSON.stringify({ ...e, name: undefined })}\n`);
      return EXIT.ok;
    }
    const t0 = Date.parse(events[0]?.time ?? "");
    let prev = t0;
    const rows = events.map((e) => {
      const t = Date.parse(e.time);
      const row = [e.time, `+${duration(t - prev)}`, duration(t - t0), e.name, describeEvent(e)];
      prev = t;
      return row;
    });
    process.stdout.write(`${table(["TIME", "STEP", "TOTAL", "EVENT", "DETAIL"], rows)}\n`);
    return EXIT.ok;
  });
}

/** Re-runs the reducer over the release's events and flags any difference from Redis. */
export async function replayCommand(releaseId: string, f: { json?: boolean }): Promise<number> {
  return withRuntime(async (rt) => {
    const events = await rt.bus.releaseEvents(releaseId);
    if (events.length === 0) throw new CliError(`no events of release ${releaseId} in stream ${rt.bus.subjects.eventsStream}`, EXIT.failed);
    const { state, steps } = replay(events);
    const stored = (await rt.store.get(releaseId))?.state;
    const differences = diff(state, stored);
    if (f.json) {
      for (const s of steps) process.stdout.write(`${JSON.stringify({ event: s.event.name, id: s.event.id, time: s.event.time, result: s.result, phase: s.phase, reason: s.reason })}\n`);
      process.stdout.write(`${JSON.stringify({ replayed: state ? statusView(state) : null, stored: stored ? statusView(stored) : null, differences })}\n`);
      return differences.length === 0 ? EXIT.ok : EXIT.failed;
    }
    for (const s of steps) {
      const mark = s.result === "applied" ? color.green("applied  ") : s.result === "duplicate" ? color.dim("duplicate") : color.red("refused  ");
      process.stdout.write(`${s.event.time}  ${mark}  ${s.event.name.padEnd(19)} → ${s.phase ?? "-"}${s.reason ? `  (${s.reason})` : ""}\n`);
    }
    if (stored === undefined) process.stdout.write(color.yellow("Redis has no state for this release (expired or lost): nothing to compare\n"));
    else if (differences.length === 0) process.stdout.write(color.green(`replayed state matches Redis (phase ${stored.phase}, version of ${stored.applied.length} events)\n`));
    else {
      process.stdout.write(color.red(`replayed state differs from Redis:\n`));
      for (const d of differences) process.stdout.write(`  ${d}\n`);
    }
    return differences.length === 0 ? EXIT.ok : EXIT.failed;
  });
}

/** Field-by-field differences between the replayed and the stored state (applied order aside). */
export function diff(replayed: ReleaseState | undefined, stored: ReleaseState | undefined): string[] {
  if (replayed === undefined || stored === undefined) return [];
  const out: string[] = [];
  for (const key of Object.keys({ ...replayed, ...stored }) as (keyof ReleaseState)[]) {
    const a = JSON.stringify(key === "applied" ? [...replayed.applied].sort() : replayed[key]);
    const b = JSON.stringify(key === "applied" ? [...stored.applied].sort() : stored[key]);
    if (a !== b) out.push(`${key}: replay ${a} ≠ Redis ${b}`);
  }
  return out;
}

export async function dlqCommand(f: { json?: boolean }): Promise<number> {
  return withRuntime(async (rt) => {
    const letters = await listDeadLetters(rt.bus);
    if (f.json) {
      for (const l of letters) process.stdout.write(`${JSON.stringify(l)}\n`);
      return EXIT.ok;
    }
    if (letters.length === 0) {
      process.stdout.write("no dead letters\n");
      return EXIT.ok;
    }
    const rows = letters.map((l) => [String(l.seq), l.at, l.stage, l.event, String(l.attempts), l.kind, l.error.slice(0, 80)]);
    process.stdout.write(`${table(["SEQ", "AT", "STAGE", "EVENT", "TRIES", "KIND", "ERROR"], rows)}\n`);
    return EXIT.ok;
  });
}
