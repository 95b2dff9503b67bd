import type { CustomObjectsApi } from "@kubernetes/client-node";
import { isTerminal, type Reason } from "@baton/contracts";
import { isConflict, messageOf, requestControl, type OpenRuntime } from "@baton/runtime";
import { FINALIZER, hasFinalizer, setFinalizer } from "./finalizer.js";
import { intakeBodyOf, keyOf, releaseIdOf, type ReleaseObject } from "./release-object.js";
import { patchStatus, sameStatus, statusOf, type Progress } from "./status.js";

// The releases the watcher follows: each Release generation gets the planner's finalizer, is
// submitted once to the intake (request-reply, the same path as any publisher), then its stored
// state is read at a modest interval and written back to the Release's status until it ends.
// A Release deleted while its release runs (it stays, held by the finalizer) has its release
// aborted, as `baton abort` would, and loses the finalizer once the release has ended; a deleted
// Release whose release had ended loses it at once: deleting a Release changes nothing in the
// cluster by itself (the app keeps running the revision it has).

interface Tracked {
  obj: ReleaseObject;
  readonly releaseId: string;
  submitted: boolean;
  attempts: number;
  nextTryAt: number;
  /** The Release is being deleted (deletionTimestamp set, our finalizer on it). */
  deleting: boolean;
  abortSent: boolean;
  /** Adding the finalizer was refused (not a conflict): go on without it, said once. */
  noFinalizer: boolean;
}

type IntakeReply = { ok: true; releaseId: string } | { ok: false; reasons?: Reason[]; error?: string };

const ENDED = new Set(["completed", "rolled_back", "failed", "rejected", "Rejected"]);

export class ReleaseTracker {
  private readonly tracked = new Map<string, Tracked>();

  constructor(
    private readonly rt: OpenRuntime,
    private readonly api: CustomObjectsApi,
  ) {}

  get size(): number {
    return this.tracked.size;
  }

  /** A Release was listed, added or modified: follow its current generation unless it has ended (or its deletion). */
  observe(obj: ReleaseObject): void {
    const deleting = obj.metadata.deletionTimestamp !== undefined;
    if (deleting && !hasFinalizer(obj)) return this.forget(obj);
    const known = this.tracked.get(keyOf(obj));
    // Deleting a Release bumps its metadata.generation (the API server counts a deletion as a change
    // of desired state) but starts no release: a deleted Release stays with the release it had.
    const releaseId = deleting ? (known?.releaseId ?? obj.status?.releaseId ?? releaseIdOf(obj)) : releaseIdOf(obj);
    if (known?.releaseId === releaseId) {
      known.obj = obj;
      known.deleting = deleting;
      return;
    }
    const s = obj.status;
    const ended = s?.releaseId === releaseId && s.observedGeneration === obj.metadata.generation && ENDED.has(s.phase ?? "");
    if (ended && !deleting) return;
    const submitted = s?.releaseId === releaseId && s.phase !== undefined && s.phase !== "Pending";
    this.tracked.set(keyOf(obj), { obj, releaseId, submitted, attempts: 0, nextTryAt: 0, deleting, abortSent: false, noFinalizer: false });
  }

  /** A Release is gone (deleted, and no finalizer of ours held it): stop writing to it. */
  forget(obj: ReleaseObject): void {
    this.tracked.delete(keyOf(obj));
  }

  /** One pass over every followed release. */
  async tick(now: number): Promise<void> {
    for (const [key, t] of [...this.tracked]) {
      if (t.nextTryAt > now) continue;
      try {
        const done = t.deleting ? await this.deleting(t) : await this.follow(t);
        if (done && this.tracked.get(key) === t) this.tracked.delete(key);
        t.attempts = 0;
      } catch (err) {
        t.attempts++;
        t.nextTryAt = now + Math.min(30_000, 500 * 2 ** t.attempts);
        const log = isConflict(err) ? this.rt.log.debug.bind(this.rt.log) : this.rt.log.warn.bind(this.rt.log);
        log({ err, release: key, releaseId: t.releaseId, attempts: t.attempts }, "could not follow a Release; retrying");
      }
    }
  }

  /** The finalizer first, then the request, then the status; true when the release has ended. */
  private async follow(t: Tracked): Promise<boolean> {
    await this.ensureFinalizer(t);
    const progress = t.submitted ? await this.stored(t) : await this.submit(t);
    return this.write(t, progress);
  }

  /** A deleted Release: abort its release if it runs; once it has ended, let the object go. True when done. */
  private async deleting(t: Tracked): Promise<boolean> {
    const stored = await this.rt.store.get(t.releaseId);
    const state = stored?.state;
    if (state !== undefined && !isTerminal(state.phase)) {
      if (!t.abortSent) await this.abort(t);
      await this.write(t, { kind: "state", state });
      return false;
    }
    t.obj = await setFinalizer(this.api, this.rt.metrics, t.obj, false);
    this.rt.log.info({ release: keyOf(t.obj), releaseId: t.releaseId, phase: state?.phase ?? "none" }, "deleted Release let go: its release has ended");
    return true;
  }

  private async abort(t: Tracked): Promise<void> {
    const key = keyOf(t.obj);
    const r = await requestControl(this.rt, t.releaseId, "AbortRequested", { by: `Release ${key}`, reason: "the Release was deleted" }, "planner");
    t.abortSent = true;
    if (r.accepted) this.rt.log.info({ release: key, releaseId: t.releaseId }, "Release deleted: its release is being aborted");
    else this.rt.log.info({ release: key, releaseId: t.releaseId, reason: r.reason }, "Release deleted: its release cannot be aborted any more; waiting for it to end");
  }

  private async ensureFinalizer(t: Tracked): Promise<void> {
    if (hasFinalizer(t.obj) || t.noFinalizer) return;
    try {
      t.obj = await setFinalizer(this.api, this.rt.metrics, t.obj, true);
    } catch (err) {
      if (isConflict(err)) throw err; // the object moved on: the next pass sees the newer one
      t.noFinalizer = true;
      this.rt.log.error({ err: messageOf(err), release: keyOf(t.obj) }, `cannot add the finalizer ${FINALIZER} (RBAC: patch on releases): deleting this Release will not abort its release`);
    }
  }

  private async submit(t: Tracked): Promise<Progress> {
    const intake = intakeBodyOf(t.obj);
    if (!intake.ok) return { kind: "rejected", reasons: intake.reasons };
    let reply: IntakeReply;
    try {
      const subject = this.rt.bus.subjects.intakeOf(t.obj.metadata.namespace); // the Release's namespace
      const m = await this.rt.bus.nc.request(subject, JSON.stringify(intake.body), { timeout: 10_000 });
      reply = m.json<IntakeReply>();
    } catch (err) {
      t.attempts++;
      t.nextTryAt = Date.now() + Math.min(30_000, 500 * 2 ** t.attempts);
      return { kind: "pending", message: `the intake did not answer: ${messageOf(err)}` };
    }
    if (!reply.ok) {
      const reasons = reply.reasons ?? [{ path: "(request)", rule: "intake", message: reply.error ?? "refused" }];
      return { kind: "rejected", reasons };
    }
    t.submitted = true;
    this.rt.log.info({ releaseId: t.releaseId, release: keyOf(t.obj) }, "Release submitted to the intake");
    return this.stored(t);
  }

  private async stored(t: Tracked): Promise<Progress> {
    const s = await this.rt.store.get(t.releaseId);
    return s === null ? { kind: "pending", message: "accepted by the intake" } : { kind: "state", state: s.state };
  }

  /** Writes the status when it changed; true when the release has ended (nothing more to write). */
  private async write(t: Tracked, progress: Progress): Promise<boolean> {
    const status = statusOf(t.obj, t.releaseId, progress, this.rt.clock());
    if (!sameStatus(t.obj.status, status)) t.obj = await patchStatus(this.api, this.rt.metrics, t.obj, status);
    return progress.kind === "rejected" || (progress.kind === "state" && isTerminal(progress.state.phase));
  }
}
