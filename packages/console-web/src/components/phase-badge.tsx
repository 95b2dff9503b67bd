import type { Phase } from "@baton/contracts";
import { phaseLabel } from "../format";

// A release's phase as a coloured label: the word is always there (colour is never the only sign).

const TONE: Readonly<Record<Phase, string>> = {
  requested: "running",
  planned: "running",
  validating: "running",
  analyzing: "running",
  inconclusive: "waiting",
  awaiting_promotion: "waiting",
  promoting: "running",
  verifying: "running",
  switched: "running",
  draining: "running",
  finalizing: "running",
  rolling_back: "bad",
  completed: "good",
  rolled_back: "bad",
  failed: "bad",
  rejected: "muted",
};

export function toneOf(phase: Phase): string {
  return TONE[phase] ?? "muted";
}

export function PhaseBadge({ phase }: { phase: Phase }) {
  return (
    <span class={`badge tone-${toneOf(phase)}`} data-phase={phase}>
      {phaseLabel(phase)}
    </span>
  );
}
