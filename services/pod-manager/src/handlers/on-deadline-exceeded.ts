import { eventId, type ReleaseState } from "@baton/contracts";
import { ack, kubeCall, kubeError, revisionSelector, step, type Handler, type HandlerContext, type Outcome } from "@baton/runtime";
import type { PodManagerDeps } from "../deps.js";
import { countReady, failureReason, podsOfRevision, summarize } from "../steps/pod-status.js";
import { targetOf } from "./context.js";
import { rollBack } from "./on-rollback.js";

// DeadlineExceeded, by the phase it was set for:
//   planned                                   → PodsFailed naming every pod and why it is not Ready
//   validating, analyzing, inconclusive,
//   awaiting_promotion, promoting, verifying  → the state machine moved the release to rolling_back: tear v2 down
//                                               (after the traffic-switcher's switch back, where production had moved)
//   rolling_back                              → ReleaseFailed (the rollback itself did not finish)
// The other phases belong to other stages.

type Ctx = HandlerContext<"DeadlineExceeded">;

export function onDeadlineExceeded(deps: PodManagerDeps): Handler<"DeadlineExceeded"> {
  return async (ctx) => {
    switch (ctx.event.data.phase) {
      case "planned":
        return podsFailed(deps, ctx);
      case "validating":
      case "analyzing":
      case "inconclusive":
      case "awaiting_promotion":
      case "promoting":
      case "verifying":
        return rollBack(deps, ctx);
      case "rolling_back":
        return rollbackFailed(ctx);
      default:
        return ack;
    }
  };
}

async function podsFailed(deps: PodManagerDeps, ctx: Ctx): Promise<Outcome> {
  if (ctx.state.phase !== "planned") return ack;
  const { t, spec } = targetOf(ctx);
  const list = await step("listPods", t.releaseId, () =>
    kubeCall(deps.metrics, "list", "pods", () =>
      deps.core.listNamespacedPod({
        namespace: t.namespace,
        labelSelector: Object.entries(revisionSelector(t.app, t.revision)).map(([k, v]) => `${k}=${v}`).join(","),
      }),
    ).catch((err: unknown) => {
      throw kubeError(`list pods of ${t.namespace}/${t.app} revision ${t.revision}`, err);
    }),
  );
  const pods = podsOfRevision(list.items, t.app, t.revision);
  const ready = countReady(pods);
  const summaries = pods.map(summarize).sort((a, b) => a.name.localeCompare(b.name));
  await ctx.emit("PodsFailed", {
    revision: t.revision,
    ready,
    desired: spec.replicas,
    reason: failureReason(ready, spec.replicas, ctx.event.data.deadlineSeconds, summaries),
    pods: summaries,
  });
  return ack;
}

async function rollbackFailed(ctx: Ctx): Promise<Outcome> {
  const { deadlineSeconds } = ctx.event.data;
  const what = productionMayBeOnV2(ctx.state) ? "production was not switched back to v1" : "v2 was not torn down";
  await ctx.emit("ReleaseFailed", {
    stage: "pod-manager",
    cause: `the rollback did not finish within ${deadlineSeconds} s: ${what}`,
  });
  return ack;
}

/**
 * Whether production may still be on v2. Not `needsSwitchBack` alone: applying this very deadline
 * resets it (contracts' recordDeadline treats the rolling_back deadline as a new rollback), so the
 * history is read instead — production moved once the release reached promoting with a v1, and
 * came back only with TrafficSwitchedBack.
 */
function productionMayBeOnV2(s: ReleaseState): boolean {
  if (s.needsSwitchBack) return true;
  const switchedBack = s.applied.includes(eventId(s.releaseId, "TrafficSwitchedBack"));
  return s.previousRevision !== null && s.enteredAt.promoting !== undefined && !switchedBack;
}
