import type { AnyEvent, Failure, ReleaseState } from "@baton/contracts";
import { deploymentName, productionServiceName } from "./kube.js";

// What a stage tells the cluster, as Kubernetes Events, when it has emitted a release event: on
// the objects it acts on (a revision's Deployment, the production Service) and on the Release
// object the release came from, so `kubectl describe deployment web-2` and `kubectl describe
// release web` tell the release's story. Pure: the recorder (kube-event-recorder.ts) writes them.

export type KubeEventTarget = { readonly kind: "Deployment"; readonly name: string } | { readonly kind: "Service"; readonly name: string } | { readonly kind: "Release" };

export interface KubeEventSpec {
  readonly target: KubeEventTarget;
  readonly type: "Normal" | "Warning";
  readonly reason: string;
  readonly message: string;
}

function failures(list: readonly Failure[]): string {
  return list.map((f) => `${f.name}: expected ${f.expected}, got ${f.got}`).join("; ");
}

/** The Events on `targets` (and always the Release) for one happening. */
function on(targets: readonly KubeEventTarget[], type: KubeEventSpec["type"], reason: string, message: string): KubeEventSpec[] {
  return [...targets, { kind: "Release" } as const].map((target) => ({ target, type, reason, message }));
}

/**
 * The Events for `emitted`, which the stage published after handling `consumed`. A stage records on
 * the objects it acts on only: the validator on the Release alone, the pod-manager on the revision's
 * Deployment (also the ValidationFailed it tears the revision down for), the traffic-switcher on the
 * production Service and the revision it selects, the reaper on both revisions' Deployments.
 */
export function kubeEventsFor(consumed: AnyEvent, emitted: AnyEvent, state: ReleaseState): KubeEventSpec[] {
  const app = state.app ?? "";
  const deployment = (revision: number): KubeEventTarget => ({ kind: "Deployment", name: deploymentName(app, revision) });
  const service: KubeEventTarget = { kind: "Service", name: productionServiceName(app) };
  const id = state.releaseId;
  switch (emitted.name) {
    case "ReleasePlanned": {
      const d = emitted.data;
      const from = d.previousRevision === null ? "first release of the app" : `replaces revision ${d.previousRevision}`;
      return on([], "Normal", "ReleasePlanned", `Release ${id}: revision ${d.revision} (${deploymentName(app, d.revision)}, image ${state.spec?.image ?? "?"}), ${from}`);
    }
    case "ReleaseRejected":
      return on([], "Warning", "ReleaseRejected", `Release ${id} rejected: ${emitted.data.reasons.map((r) => r.message).join("; ")}`);
    case "PodsLive": {
      const d = emitted.data;
      return on([deployment(d.revision)], "Normal", "PodsLive", `Release ${id}: ${d.ready} of ${d.desired} pods of ${deploymentName(app, d.revision)} Ready`);
    }
    case "PodsFailed":
      return on([deployment(emitted.data.revision)], "Warning", "PodsFailed", `Release ${id}: ${emitted.data.reason}`);
    case "ValidationPassed": {
      const d = emitted.data;
      const warmup = d.warmup ? `, warm-up ${d.warmup.errors} errors in ${d.warmup.requests} requests` : "";
      return on([], "Normal", "ValidationPassed", `Release ${id}: ${d.checks.length} checks passed on revision ${d.revision}${warmup}`);
    }
    case "ValidationFailed":
      return on([], "Warning", "ValidationFailed", `Release ${id}: revision ${emitted.data.revision} failed validation: ${failures(emitted.data.failures)}`);
    case "TrafficSwitched": {
      const d = emitted.data;
      const from = d.from === null ? "" : ` (was revision ${d.from})`;
      return on([service, deployment(d.to)], "Normal", "TrafficSwitched", `Release ${id}: Service ${productionServiceName(app)} now selects revision ${d.to}${from}, ${d.endpoints} ready endpoints`);
    }
    case "TrafficSwitchedBack": {
      const d = emitted.data;
      return on([service, deployment(d.to)], "Warning", "TrafficSwitchedBack", `Release ${id}: Service ${productionServiceName(app)} switched back to revision ${d.to} (from ${d.from}), ${d.endpoints} ready endpoints`);
    }
    case "DrainStarted": {
      const d = emitted.data;
      return on([deployment(d.revision)], "Normal", "DrainStarted", `Release ${id}: ${deploymentName(app, d.revision)} scaled to 0: ${d.pods} pods get SIGTERM and up to ${d.gracePeriodSeconds} s to finish`);
    }
    case "ReleaseCompleted":
      return completed(emitted.data, id, app, deployment);
    case "ReleaseRolledBack": {
      const d = emitted.data;
      const kept = state.previousRevision === null ? "the app had no revision before" : `production stays on revision ${state.previousRevision}`;
      const targets = d.revision === null ? [] : [deployment(d.revision)];
      const rolledBack = on(targets, "Warning", "ReleaseRolledBack", `Release ${id} rolled back: ${d.reason}; ${kept}`);
      // The pod-manager tears the revision down because validation failed: said on the Deployment it acts on.
      if (consumed.name !== "ValidationFailed" || d.revision === null) return rolledBack;
      const why = `Release ${id}: revision ${consumed.data.revision} failed validation: ${failures(consumed.data.failures)}`;
      return [{ target: deployment(d.revision), type: "Warning", reason: "ValidationFailed", message: why }, ...rolledBack];
    }
    case "ReleaseFailed":
      return on([], "Warning", "ReleaseFailed", `Release ${id} failed in ${emitted.data.stage}: ${emitted.data.cause}`);
    default:
      return [];
  }
}

function completed(d: Extract<AnyEvent, { name: "ReleaseCompleted" }>["data"], id: string, app: string, deployment: (revision: number) => KubeEventTarget): KubeEventSpec[] {
  const removed = d.previousRevision === null ? "" : `; revision ${d.previousRevision} removed`;
  const done = on([deployment(d.revision)], "Normal", "ReleaseCompleted", `Release ${id} completed: revision ${d.revision} serves production${removed}`);
  if (d.forcedPods === 0 || d.previousRevision === null) return done;
  const forced = `Release ${id}: ${d.forcedPods} pods of ${deploymentName(app, d.previousRevision)} still running when the grace period ended were forced down`;
  return [...on([deployment(d.previousRevision)], "Warning", "ForcedShutdown", forced), ...done];
}
