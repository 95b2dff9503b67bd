import type { HandlerContext, Outcome } from "@baton/runtime";

/**
 * The planner owns the `requested` phase: when its deadline passes (the planner was down, or
 * the cluster did not answer), the release fails rather than wait forever. Deadlines of other
 * phases belong to other stages.
 */
export async function onDeadlineExceeded(ctx: HandlerContext<"DeadlineExceeded">): Promise<Outcome | void> {
  const { phase, deadlineSeconds } = ctx.event.data;
  if (phase !== "requested" || ctx.state.phase !== "requested") return;
  const cause = `the release was not planned within ${deadlineSeconds}s (deadline of phase requested)`;
  await ctx.emit("ReleaseFailed", { stage: "planner", cause });
}
