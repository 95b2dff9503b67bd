import type { Phase, ReleaseSummary } from "@baton/contracts";

// The five stages of the pipeline, the one working on the release now lit, those it passed ticked,
// the one that failed it crossed.

const STAGES = [
  { id: "planner", label: "Plan", phases: ["requested"] },
  { id: "pod-manager", label: "Pods", phases: ["planned"] },
  { id: "validator", label: "Validate", phases: ["validating", "analyzing"] },
  { id: "traffic-switcher", label: "Switch", phases: ["inconclusive", "awaiting_promotion", "promoting", "verifying"] },
  { id: "reaper", label: "Shut down v1", phases: ["switched", "draining", "finalizing"] },
] as const;

type StageState = "done" | "current" | "waiting" | "failed" | "pending" | "skipped";

function stageStates(r: ReleaseSummary): StageState[] {
  const reached = (phases: readonly Phase[]) => phases.some((p) => r.enteredAt[p] !== undefined);
  const current = STAGES.findIndex((s) => (s.phases as readonly Phase[]).includes(r.phase));
  if (r.phase === "completed") return STAGES.map((s) => (reached(s.phases) ? "done" : "skipped"));
  if (current >= 0) {
    return STAGES.map((s, i) => (i < current ? "done" : i === current ? (r.phase === "awaiting_promotion" || r.phase === "inconclusive" ? "waiting" : "current") : "pending"));
  }
  // Rolling back or ended without completing: the last stage it reached is where it stopped.
  const last = STAGES.reduce((at, s, i) => (reached(s.phases) ? i : at), 0);
  const failedStage = r.outcome?.stage ? STAGES.findIndex((s) => s.id === r.outcome?.stage) : -1;
  const stopped = failedStage >= 0 ? failedStage : last;
  return STAGES.map((_, i) => (i < stopped ? "done" : i === stopped ? "failed" : "pending"));
}

const WORD: Readonly<Record<StageState, string>> = {
  done: "done",
  current: "working now",
  waiting: "waiting for a person",
  failed: "stopped here",
  pending: "not yet",
  skipped: "not needed",
};

export function Pipeline({ release }: { release: ReleaseSummary }) {
  const states = stageStates(release);
  return (
    <ol class="pipeline" aria-label="Pipeline stages">
      {STAGES.map((s, i) => {
        const st = states[i] as StageState;
        return (
          <li class={`stage stage-${st}`} key={s.id} aria-current={st === "current" || st === "waiting" ? "step" : undefined}>
            <span class="stage-name">{s.label}</span>
            <span class="stage-service">{s.id}</span>
            <span class="stage-state">{WORD[st]}</span>
          </li>
        );
      })}
    </ol>
  );
}
