import type { ActivityResult, AnyEvent, Warning } from "@baton/contracts";
import { plural } from "./format.js";

/** One event in a few words a person reads at a glance. */
export function describeEvent(e: AnyEvent): string {
  switch (e.name) {
    case "ReleaseRequested":
      return `${e.data.namespace}/${e.data.app} → ${e.data.spec.image} (${e.data.spec.replicas} replicas, promotion ${e.data.spec.promotion})${requester(e.data)}`;
    case "ReleaseRejected":
      return e.data.reasons.map((r) => r.message).join("; ");
    case "ReleasePlanned":
      return `revision ${e.data.revision}${e.data.previousRevision === null ? " (first live revision)" : ` (live: ${e.data.previousRevision})`}${warnings(e.data.warnings)}`;
    case "PodsLive":
      return `${e.data.ready}/${e.data.desired} pods Ready`;
    case "PodsFailed":
      return e.data.reason;
    case "ValidationPassed":
      return `${plural(e.data.checks.length, "check")} passed${e.data.warmup ? `, warm-up ${plural(e.data.warmup.requests, "request")}, ${plural(e.data.warmup.errors, "error")}` : ""}`;
    case "ValidationFailed":
      return `${e.data.failures.map((f) => `${f.name}: expected ${f.expected}, got ${f.got}`).join("; ")}${warnings(e.data.warnings)}`;
    case "AnalysisStarted":
      return `${e.data.phase} analysis: ${e.data.metrics.join(", ")}`;
    case "MeasurementDue":
      return `${e.data.phase} ${e.data.metric} #${e.data.index + 1} due`;
    case "MeasurementTaken":
      return `${e.data.verdict.toUpperCase()} ${e.data.message}`;
    case "AnalysisPassed":
      return `${e.data.phase} analysis passed (${plural(e.data.measurements.length, "measurement")})`;
    case "AnalysisFailed":
      return `${e.data.phase} analysis failed: ${e.data.reason}`;
    case "AnalysisInconclusive":
      return `${e.data.phase} analysis inconclusive: ${e.data.reason}; waiting for promote or abort`;
    case "PromotionApproved":
      return `by ${e.data.by}`;
    case "AbortRequested":
      return `by ${e.data.by}: ${e.data.reason}`;
    case "TrafficSwitched":
      return `production → revision ${e.data.to} (${e.data.endpoints} endpoints)`;
    case "TrafficSwitchedBack":
      return `production back → revision ${e.data.to}`;
    case "DrainDue":
      return `v1 (revision ${e.data.revision}) told to shut down`;
    case "DrainStarted":
      return `${plural(e.data.pods, "v1 pod")} draining, grace ${e.data.gracePeriodSeconds}s`;
    case "ShutdownDue":
      return `grace period over: forcing down what is left of revision ${e.data.revision}`;
    case "DeadlineExceeded":
      return `${e.data.phase} ran past its ${e.data.deadlineSeconds}s deadline`;
    case "ReleaseCompleted":
      return `revision ${e.data.revision} live; ${e.data.forcedPods} forced; ${e.data.postRelease.map(activity).join(", ") || "no post-release activities"}`;
    case "ReleaseRolledBack":
      return e.data.reason;
    case "ReleaseFailed":
      return `${e.data.stage}: ${e.data.cause}`;
  }
}

/** "; warning: …" for each warning an event carries. */
function warnings(list: readonly Warning[] | undefined): string {
  return (list ?? []).map((w) => `; warning: ${w.message}`).join("");
}

/** One post-release activity as the timeline shows it: a failure says so loudly, with its detail. */
function activity(a: ActivityResult): string {
  if (a.ok) return a.skipped ? `${a.name} ok (already done)` : `${a.name} ok`;
  return a.skipped ? `${a.name} NOT RUN` : `${a.name} FAILED (${a.detail})`;
}

/** Who asked (the intake's Baton-Requested-By header) and the CloudEvent the request came as (its caller's source, id, subject). */
function requester(d: { requestedBy?: string; requestedVia?: { source: string; id: string; subject?: string } }): string {
  const by = d.requestedBy ? ` by ${d.requestedBy}` : "";
  const v = d.requestedVia;
  return v ? `${by}, via ${v.source} (id ${v.id}${v.subject ? `, subject ${v.subject}` : ""})` : by;
}
