import type { AttentionReason, ReleaseState } from "@baton/contracts";

// "Needs attention": the releases a person must look at, one rule per reason. The list's filter
// offers exactly these (GET /api/releases names them). A new reason is one entry — issue 14's
// analysis adds `{ id: "inconclusive", label: "analysis inconclusive", holds: (s) => s.phase === "inconclusive" }`.

export interface AttentionContext {
  /** Releases with a message in the dead-letter stream. */
  readonly deadLetters: ReadonlySet<string>;
}

export interface AttentionRule extends AttentionReason {
  holds(state: ReleaseState, ctx: AttentionContext): boolean;
}

export const NEEDS_ATTENTION: readonly AttentionRule[] = [
  { id: "awaiting_promotion", label: "awaiting promotion", holds: (s) => s.phase === "awaiting_promotion" },
  { id: "inconclusive", label: "analysis inconclusive", holds: (s) => s.phase === "inconclusive" },
  { id: "failed", label: "failed", holds: (s) => s.phase === "failed" },
  { id: "dead_letter", label: "dead letter", holds: (s, c) => c.deadLetters.has(s.releaseId) },
];

export function attentionOf(state: ReleaseState, ctx: AttentionContext): string[] {
  return NEEDS_ATTENTION.filter((r) => r.holds(state, ctx)).map((r) => r.id);
}
