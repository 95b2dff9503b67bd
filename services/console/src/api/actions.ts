import { TRANSITIONS, type ActionResponse, type ConsoleAction, type ConsoleRole, type Phase, type ReleaseState } from "@baton/contracts";
import { controlRefusal, sendControl, type ControlEvent, type Runtime } from "@baton/runtime";

// Every action a person can take on a release, in one table: who may (the least role), in which
// phases (from the state machine's own transition table, so the two cannot disagree), what the
// confirmation says, and what it does. The server offers a release only the actions whose phase
// and role allow them (the page shows exactly those: no dead buttons) and checks both again when
// one is taken. A new verb is one entry here: issue 15's retry, rollback and promote --full are
// each one more row (retry: phases ["rolled_back", "failed"], run: a new release with the same
// spec and `retryOf`).

export interface ActionContext {
  readonly rt: Runtime;
  readonly state: ReleaseState;
  /** Who asked: recorded as `by` in the event. */
  readonly user: string;
  readonly reason: string | undefined;
}

export interface ActionDefinition extends ConsoleAction {
  readonly role: ConsoleRole;
  /** The phases the action may be taken in. */
  readonly phases: readonly Phase[];
  /** Why it cannot be taken on this release now (beyond the phase: a guard of the state machine), or undefined. */
  refusal(state: ReleaseState): string | undefined;
  run(ctx: ActionContext): Promise<ActionResponse>;
}

/** An action that sends one control event, as `baton promote` / `baton abort` do. */
function controlAction(event: ControlEvent, rest: Omit<ActionDefinition, "phases" | "refusal" | "run">): ActionDefinition {
  return {
    ...rest,
    phases: TRANSITIONS[event].from.filter((p): p is Phase => p !== "none"),
    refusal: (state) => controlRefusal(state, event),
    async run({ rt, state, user, reason }) {
      const r = await sendControl(rt, state, event, { by: user, ...(reason === undefined ? {} : { reason }) }, "console");
      return { accepted: r.accepted, event, ...(r.reason === undefined ? {} : { reason: r.reason }) };
    },
  };
}

export const ACTIONS: readonly ActionDefinition[] = [
  controlAction("PromotionApproved", {
    id: "promote",
    label: "Promote",
    confirm: "Switch production traffic to this revision now?",
    danger: false,
    reason: "none",
    role: "operator",
  }),
  controlAction("AbortRequested", {
    id: "abort",
    label: "Abort",
    confirm: "Roll this release back? v2 is torn down; production is switched back to v1 if it had moved.",
    danger: true,
    reason: "optional",
    role: "operator",
  }),
];

/** Whether the action may be taken on the release now, by someone with this role: undefined, or why not. */
export function actionRefusal(a: ActionDefinition, state: ReleaseState, role: ConsoleRole | null, atLeast: (have: ConsoleRole | null, need: ConsoleRole) => boolean): { status: 403 | 409; reason: string } | undefined {
  if (!atLeast(role, a.role)) return { status: 403, reason: `${a.id} needs the ${a.role} role in namespace ${state.namespace ?? "-"}${role === null ? "" : ` (you are ${role})`}` };
  if (!a.phases.includes(state.phase)) return { status: 409, reason: `${a.id} is not possible in phase ${state.phase} (only in ${a.phases.join(", ")})` };
  const why = a.refusal(state);
  return why === undefined ? undefined : { status: 409, reason: why };
}

export function publicView(a: ActionDefinition): ConsoleAction {
  return { id: a.id, label: a.label, confirm: a.confirm, danger: a.danger, reason: a.reason };
}
