/**
 * DELETE semantics: preconditions, propagation policy (as the garbage collector's finalizers),
 * graceful pod deletion, namespaces that terminate, finalizers that keep an object.
 */
import type { KObject, Pod } from "../kinds.js";
import { clone, deepEqual, isPlainObject, timestamp } from "../machinery/objects.js";
import { CRD_CLEANUP_FINALIZER } from "../strategies/crd.js";
import { markPodNotReady, needsGracefulDeletion } from "../strategies/pod.js";
import type { ApiCore, WriteContext } from "./core.js";
import { badRequest, conflict, invalid, notFound } from "./errors.js";
import type { ResourceType } from "./resources.js";

export interface DeleteOptions {
  gracePeriodSeconds?: number;
  propagationPolicy?: string;
  orphanDependents?: boolean;
  preconditions?: { uid?: string; resourceVersion?: string };
}

export interface DeleteResult {
  object: KObject;
  /** The object is gone (not only marked for deletion). */
  removed: boolean;
}

export const FOREGROUND = "foregroundDeletion";
export const ORPHAN = "orphan";
const POLICIES = ["Background", "Foreground", "Orphan"];

function checkPreconditions(rt: ResourceType, old: KObject, opts: DeleteOptions): void {
  const p = opts.preconditions;
  if (!p) return;
  const name = old.metadata.name ?? "";
  // The registry names the kind here, not the resource (`ConfigMap "x"`).
  const kind = { group: rt.group, resource: rt.kind };
  if (p.uid && p.uid !== old.metadata.uid) {
    throw conflict(kind, name, `the UID in the precondition (${p.uid}) does not match the UID in record (${old.metadata.uid ?? ""}). The object might have been deleted and then recreated`);
  }
  if (p.resourceVersion && p.resourceVersion !== old.metadata.resourceVersion) {
    throw conflict(kind, name, `the ResourceVersion in the precondition (${p.resourceVersion}) does not match the ResourceVersion in record (${old.metadata.resourceVersion ?? ""}). The object might have been modified`);
  }
}

function policyFinalizer(opts: DeleteOptions): string | undefined {
  const policy = opts.propagationPolicy ?? (opts.orphanDependents === true ? "Orphan" : undefined);
  if (policy !== undefined && !POLICIES.includes(policy)) {
    throw invalid("DeleteOptions", "meta.k8s.io", "", [{ type: "NotSupported", field: "propagationPolicy", value: policy, detail: 'supported values: "Foreground", "Background", "Orphan", "nil"' }]);
  }
  if (policy === "Foreground") return FOREGROUND;
  if (policy === "Orphan") return ORPHAN;
  return undefined;
}

/** Grace period of a pod deletion, or 0 when the object goes at once. */
function gracePeriod(rt: ResourceType, old: KObject, opts: DeleteOptions): number {
  if (rt.rkey !== "/pods" || !needsGracefulDeletion(old)) return 0;
  const requested = opts.gracePeriodSeconds;
  const fallback = (old as Pod).spec.terminationGracePeriodSeconds ?? 30;
  const grace = requested === undefined || requested < 0 ? fallback : requested;
  const current = old.metadata.deletionGracePeriodSeconds;
  return current !== undefined && current < grace ? current : grace;
}

export function parseDeleteOptions(body: unknown, query: URLSearchParams): DeleteOptions {
  const opts: DeleteOptions = isPlainObject(body) ? (clone(body) as DeleteOptions) : {};
  const grace = query.get("gracePeriodSeconds");
  if (grace !== null && grace !== "") opts.gracePeriodSeconds = Number(grace);
  const policy = query.get("propagationPolicy");
  if (policy) opts.propagationPolicy = policy;
  const orphan = query.get("orphanDependents");
  if (orphan !== null) opts.orphanDependents = orphan === "true";
  if (opts.gracePeriodSeconds !== undefined && !Number.isFinite(opts.gracePeriodSeconds)) throw badRequest("gracePeriodSeconds must be an integer");
  return opts;
}

function markDeleting(next: KObject, now: number, grace: number): void {
  const meta = next.metadata;
  const current = meta.deletionGracePeriodSeconds;
  if (meta.deletionTimestamp === undefined || current === undefined || grace < current) {
    meta.deletionTimestamp = timestamp(now + grace * 1000);
    meta.deletionGracePeriodSeconds = grace;
  }
}

export function deleteObject(core: ApiCore, rt: ResourceType, namespace: string, name: string, opts: DeleteOptions, ctx: WriteContext): DeleteResult {
  const old = core.find(rt, namespace, name);
  if (!old) throw notFound(rt, name);
  checkPreconditions(rt, old, opts);
  const next = clone(old);
  // A CRD gets its cleanup finalizer when it is deleted (its custom resources go first), as the real registry adds it.
  const crd = rt.rkey === "apiextensions.k8s.io/customresourcedefinitions" ? CRD_CLEANUP_FINALIZER : undefined;
  for (const finalizer of [policyFinalizer(opts), crd]) {
    if (finalizer && !old.metadata.deletionTimestamp && !(next.metadata.finalizers ?? []).includes(finalizer)) {
      next.metadata.finalizers = [...(next.metadata.finalizers ?? []), finalizer];
    }
  }
  const now = Date.now();
  if (rt.rkey === "/namespaces") {
    markDeleting(next, now, 0);
    next.status = { ...(next.status as object), phase: "Terminating" };
    return commitDelete(core, rt, next, old, ctx, false);
  }
  const grace = gracePeriod(rt, old, opts);
  markDeleting(next, now, grace);
  if (rt.rkey === "/pods") markPodNotReady(next as Pod, timestamp(now), "PodTerminating");
  const removed = grace === 0 && (next.metadata.finalizers?.length ?? 0) === 0;
  // The object stays (finalizers, grace): the deletion is a change of its desired state, and the
  // real registry counts it as one, bumping metadata.generation (BeforeDelete).
  const generation = next.metadata.generation;
  if (!removed && old.metadata.deletionTimestamp === undefined && typeof generation === "number" && generation > 0) next.metadata.generation = generation + 1;
  return commitDelete(core, rt, next, old, ctx, removed);
}

function commitDelete(core: ApiCore, rt: ResourceType, next: KObject, old: KObject, ctx: WriteContext, removed: boolean): DeleteResult {
  if (ctx.dryRun) return { object: core.toRead(rt, next), removed };
  next.metadata.resourceVersion = old.metadata.resourceVersion;
  if (!removed && deepEqual(next, old)) return { object: core.toRead(rt, old), removed };
  const stored = core.store.commit(removed ? "DELETED" : "MODIFIED", rt.rkey, next, old);
  core.recordSystem("delete", rt, stored, ctx);
  return { object: core.toRead(rt, stored), removed };
}
