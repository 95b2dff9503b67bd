import type { CustomObjectsApi } from "@kubernetes/client-node";
import { isTerminal, type Reason } from "@baton/contracts";
import { messageOf, type OpenRuntime } from "@baton/runtime";
import { intakeBodyOf, keyOf, releaseIdOf, type ReleaseObject } from "./release-object.js";
import { patchStatus, sameStatus, statusOf, type Progress } from "./status.js";

// The releases the watcher follows: each Release generation is submitted once to the intake
// (request-reply, the same path as any publisher), then its stored state is read at a modest
// interval and written back to the Release's status until the release ends.

interface Tracked {
  obj: ReleaseObject;
  readonly releaseId: string;
  submitted: boolean;
  attempts: number;
  nextTryAt: number;
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

  /** A Release was listed, added or modified: follow its current generation unless it has ended. */
  observe(obj: ReleaseObject): void {
    if (obj.metadata.deletionTimestamp !== undefined) return this.forget(obj);
    const releaseId = releaseIdOf(obj);
    const known = this.tracked.get(keyOf(obj));
    if (known?.releaseId === releaseId) {
      known.obj = obj;
      return;
    }
    const s = obj.status;
    if (s?.releaseId === releaseId && s.observedGeneration === obj.metadata.generation && ENDED.has(s.phase ?? "")) return;
    const submitted = s?.releaseId === releaseId && s.phase !== undefined && s.phase !== "Pending";
    this.tracked.set(keyOf(obj), { obj, releaseId, submitted, attempts: 0, nextTryAt: 0 });
  }

  /** A Release was deleted: stop writing to it (the release itself goes on; `baton abort` stops it). */
  forget(obj: ReleaseObject): void {
    this.tracked.delete(keyOf(obj));
  }

  /** One pass over every followed release. */
  async tick(now: number): Promise<void> {
    for (const [key, t] of [...this.tracked]) {
      if (t.nextTryAt > now) continue;
      try {
        const progress = t.submitted ? await this.stored(t) : await this.submit(t);
        const ended = await this.write(t, progress);
        if (ended && this.tracked.get(key) === t) this.tracked.delete(key);
        t.attempts = 0;
      } catch (err) {
        t.attempts++;
        t.nextTryAt = now + Math.min(30_000, 500 * 2 ** t.attempts);
        this.rt.log.warn({ err, release: key, releaseId: t.releaseId, attempts: t.attempts }, "could not follow a Release; retrying");
      }
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
