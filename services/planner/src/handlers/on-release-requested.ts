import { namespaceRefusal, type Reason } from "@baton/contracts";
import { step, type HandlerContext, type Outcome } from "@baton/runtime";
import type { KubePorts } from "../kube.js";
import { namespaceMissing } from "../steps/check-namespace.js";
import { referenceRefusals } from "../steps/check-references.js";
import { findRevisions } from "../steps/find-revisions.js";
import { takeLock } from "../steps/take-lock.js";
import type { PlannerOptions } from "../options.js";

/**
 * ReleaseRequested → ReleasePlanned or ReleaseRejected. The steps: check the namespace (the
 * policy, then the cluster), check what the spec reaches (webhook hosts, Secrets), take the app's
 * lock, find the live revision and the highest one (refusing when a name the release needs is
 * taken by an object Baton did not make for this app), allocate the new revision (stable for this
 * release), plan.
 */
export async function onReleaseRequested(
  ctx: HandlerContext<"ReleaseRequested">,
  kube: KubePorts,
  opts: PlannerOptions,
): Promise<Outcome | void> {
  const { releaseId, app, namespace } = ctx.release;

  // A ReleaseRequested may be published on the stream by any system, not only through the intake.
  const policy = namespaceRefusal(namespace, { allowedNamespaces: opts.allowedNamespaces });
  if (policy !== undefined) return reject(ctx, policy);

  const missing = await step("check-namespace", releaseId, () => namespaceMissing(kube, namespace));
  if (missing !== undefined) return reject(ctx, missing);

  const refused = await step("check-references", releaseId, () => referenceRefusals(kube, ctx.event.data.spec, ctx.release, opts));
  if (refused.length > 0) return reject(ctx, ...refused);

  const lock = await step("take-lock", releaseId, () => takeLock(ctx.rt.store, namespace, app, releaseId));
  if (!lock.ok) return reject(ctx, lock.reason);

  const found = await step("find-revisions", releaseId, () => findRevisions(kube, namespace, app));
  if (found.notOwned.length > 0) return reject(ctx, ...found.notOwned); // the terminal state frees the lock
  if (found.selected !== null && found.live === null) {
    ctx.log.warn({ selected: found.selected }, "the production Service selects a revision that has no Deployment: planning as a first release");
  }
  const revision = await step("allocate-revision", releaseId, () =>
    ctx.rt.store.allocateRevision(namespace, app, releaseId, found.floor),
  );
  ctx.log.info({ revision, previousRevision: found.live, floor: found.floor, fence: lock.fence }, "planned");
  await ctx.emit("ReleasePlanned", { revision, previousRevision: found.live, fence: lock.fence });
}

async function reject(ctx: HandlerContext<"ReleaseRequested">, ...reasons: Reason[]): Promise<void> {
  ctx.log.info({ reasons }, "rejecting the release");
  await ctx.emit("ReleaseRejected", { reasons });
}
