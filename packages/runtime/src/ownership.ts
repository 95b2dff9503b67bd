import type { V1ObjectMeta } from "@kubernetes/client-node";
import type { EventName, Stage } from "@baton/contracts";
import { TerminalError } from "./errors.js";
import { LABEL_APP, LABEL_MANAGED_BY, LABEL_RELEASE, MANAGED_BY } from "./kube.js";
import type { HandlerContext } from "./stage.js";

// Ownership: Baton writes and deletes only the objects it made — labelled
// app.kubernetes.io/managed-by=baton and app.kubernetes.io/name=<app>, and, for the Deployment a
// release creates, baton.dev/release-id=<that release>. Anything else that happens to carry the
// name Baton would use (a team's own `web-preview`, the production Service of an app named
// `web-preview`, a `web-2` Deployment Baton refused) stops the release with the object and the
// reason, in every stage that writes. This is the one place that decides it: adopting an app's
// existing Deployment and Service named explicitly in the spec (issue 15) is to be allowed here.

export type OwnedKind = "Deployment" | "Service";

/** Whose object Baton may change: the app's, and (for a Deployment a release made) that release's. */
export interface Owner {
  readonly app: string;
  readonly releaseId?: string;
}

/** Why Baton may not change this object for `owner`, or undefined when it may (it made it). */
export function ownershipProblem(kind: OwnedKind, obj: { readonly metadata?: V1ObjectMeta }, owner: Owner): string | undefined {
  const labels = obj.metadata?.labels ?? {};
  const what = `${kind} ${obj.metadata?.namespace ?? "?"}/${obj.metadata?.name ?? "?"}`;
  if (labels[LABEL_MANAGED_BY] !== MANAGED_BY) {
    return `${what} exists and was not made by Baton (no label ${LABEL_MANAGED_BY}=${MANAGED_BY}): Baton changes only objects it made`;
  }
  if (labels[LABEL_APP] !== owner.app) {
    return `${what} belongs to app "${labels[LABEL_APP] ?? "(none)"}", not "${owner.app}" (label ${LABEL_APP}): Baton changes only the objects of the app it releases`;
  }
  if (owner.releaseId !== undefined && labels[LABEL_RELEASE] !== owner.releaseId) {
    return `${what} was made by ${labels[LABEL_RELEASE] === undefined ? "no release" : `release ${labels[LABEL_RELEASE]}`}, not ${owner.releaseId} (label ${LABEL_RELEASE}): Baton changes only what this release made`;
  }
  return undefined;
}

/** An object with a name Baton uses, that Baton did not make: the release stops; retrying will not help. */
export class NotOwnedError extends TerminalError {
  override name = "NotOwnedError";
}

/** Throws a {@link NotOwnedError} naming the object and why, unless Baton may change it for `owner`. */
export function assertOwned(kind: OwnedKind, obj: { readonly metadata?: V1ObjectMeta }, owner: Owner): void {
  const problem = ownershipProblem(kind, obj, owner);
  if (problem !== undefined) throw new NotOwnedError(problem);
}

/** The {@link NotOwnedError} an error was caused by (a step wraps it), or undefined. */
export function notOwnedCause(err: unknown): NotOwnedError | undefined {
  for (let e: unknown = err; e instanceof Error; e = e.cause) if (e instanceof NotOwnedError) return e;
  return undefined;
}

/** What {@link failIfNotOwned} returns when it ended the release. */
export const ENDED = Symbol("ended: an object was not Baton's");

/**
 * Runs a step that writes; when it meets an object Baton did not make ({@link NotOwnedError}),
 * the release fails at once — ReleaseFailed naming the object, why, and `consequence` (what that
 * leaves, e.g. "production was not switched") — rather than being retried or dead-lettered.
 */
export async function failIfNotOwned<T, N extends EventName>(
  ctx: HandlerContext<N>,
  stage: Stage,
  consequence: string,
  fn: () => Promise<T>,
): Promise<T | typeof ENDED> {
  try {
    return await fn();
  } catch (err) {
    const notOwned = notOwnedCause(err);
    if (notOwned === undefined) throw err;
    const cause = `${notOwned.message}; ${consequence}`;
    ctx.log.error({ cause }, "stopping the release: a name Baton needs is taken by an object Baton did not make");
    await ctx.emit("ReleaseFailed", { stage, cause });
    return ENDED;
  }
}
