import type { AnyEvent, EventName, ReleaseState } from "@baton/contracts";

// What the notifier tells people about, one entry per trigger: the event that fires it, a condition
// on the release where the event alone does not say enough, and the default message. A new trigger
// is one entry — issue 14's analysis adds
//   { id: "analysis_failed", event: "AnalysisFailed", title: "analysis failed", template: "…{{reason}}…" }.

export interface Trigger {
  readonly id: string;
  /** The event that fires it ("dead_letter": a message parked in the dead-letter stream). */
  readonly event: EventName | "dead_letter";
  /** Fires only when this holds of the release's state (after the event). */
  readonly when?: (state: ReleaseState | null, event: AnyEvent) => boolean;
  readonly template: string;
}

export const TRIGGERS: readonly Trigger[] = [
  { id: "released", event: "ReleaseCompleted", template: ":white_check_mark: {{namespace}}/{{app}} {{version}} released (revision {{revision}}). {{url}}" },
  { id: "rolled_back", event: "ReleaseRolledBack", template: ":leftwards_arrow_with_hook: {{namespace}}/{{app}} {{version}} rolled back: {{reason}}. {{url}}" },
  { id: "switched_back", event: "TrafficSwitchedBack", template: ":rotating_light: {{namespace}}/{{app}}: production switched back from {{version}} to the previous revision. {{url}}" },
  {
    id: "awaiting_promotion",
    event: "ValidationPassed",
    when: (state) => state?.phase === "awaiting_promotion",
    template: ":hourglass: {{namespace}}/{{app}} {{version}} passed validation and waits for promotion. {{url}}",
  },
  {
    id: "analysis_inconclusive",
    event: "AnalysisInconclusive",
    template: ":hourglass: {{namespace}}/{{app}} {{version}}: analysis inconclusive ({{reason}}); waits for `baton promote` or `baton abort`. {{url}}",
  },
  { id: "failed", event: "ReleaseFailed", template: ":x: {{namespace}}/{{app}} {{version}} failed in {{stage}}: {{reason}}. {{url}}" },
  { id: "dead_letter", event: "dead_letter", template: ":warning: {{stage}} gave up on {{eventName}} of {{namespace}}/{{app}} after {{attempts}} tries: {{reason}}. {{url}}" },
];

export const TRIGGER_IDS = TRIGGERS.map((t) => t.id);

export function triggersOf(event: EventName | "dead_letter"): Trigger[] {
  return TRIGGERS.filter((t) => t.event === event);
}
