import { step, type Handler } from "@baton/runtime";

// v1 is draining: the grace timer is stored in Redis (adding it again is a no-op), and fires
// ShutdownDue when gracePeriodSeconds have passed, whatever happens to this process meanwhile.

export function onDrainStarted(): Handler<"DrainStarted"> {
  return async (ctx) => {
    const { revision, pods, gracePeriodSeconds } = ctx.event.data;
    const inMs = gracePeriodSeconds * 1000;
    const added = await step("schedule ShutdownDue", ctx.release.releaseId, () => ctx.schedule("ShutdownDue", { revision }, { inMs }));
    const dueAt = new Date(ctx.rt.clock().getTime() + inMs).toISOString();
    if (added) ctx.log.info({ revision, pods, dueAt }, `v1 draining: what is left is forced down in ${gracePeriodSeconds}s`);
    else ctx.log.info({ revision }, "skipped: ShutdownDue is already scheduled (or has fired)");
    ctx.progress({ shutdown: { state: "draining", revision, dueAt, pods } });
  };
}
