/** The status a kubelet reports for a pod, built from what runs (conditions as a real kubelet writes them). */
import type { Condition, ContainerStatus, Pod, PodStatus } from "../kinds.js";
import { timestamp } from "../machinery/objects.js";

export type ContainerRunState =
  | { readonly kind: "creating" }
  | { readonly kind: "waiting"; readonly reason: string; readonly message: string }
  | { readonly kind: "running"; readonly startedAt: string; readonly ready: boolean }
  | { readonly kind: "terminated"; readonly exitCode: number; readonly reason: string; readonly startedAt?: string; readonly finishedAt: string };

export interface ContainerView {
  readonly name: string;
  readonly image: string;
  readonly imageID: string;
  readonly containerID: string;
  readonly state: ContainerRunState;
}

export interface PodView {
  readonly ip: string;
  readonly startTime: string;
  readonly containers: readonly ContainerView[];
  /** The pod is being deleted: never Ready again. */
  readonly terminating: boolean;
}

function containerStatus(c: ContainerView, terminating: boolean): ContainerStatus {
  const s = c.state;
  const base = { name: c.name, image: c.image, imageID: s.kind === "running" || s.kind === "terminated" ? c.imageID : "", restartCount: 0 };
  switch (s.kind) {
    case "creating":
      return { ...base, ready: false, started: false, state: { waiting: { reason: "ContainerCreating" } } };
    case "waiting":
      return { ...base, ready: false, started: false, state: { waiting: { reason: s.reason, message: s.message } } };
    case "running":
      return { ...base, containerID: c.containerID, ready: s.ready && !terminating, started: true, state: { running: { startedAt: s.startedAt } } };
    case "terminated": {
      const terminated = { exitCode: s.exitCode, reason: s.reason, finishedAt: s.finishedAt, containerID: c.containerID, ...(s.startedAt ? { startedAt: s.startedAt } : {}) };
      return { ...base, containerID: c.containerID, ready: false, started: false, state: { terminated } };
    }
  }
}

function phaseOf(view: PodView): string {
  const states = view.containers.map((c) => c.state);
  if (states.length > 0 && states.every((s) => s.kind === "terminated")) {
    return states.every((s) => s.kind === "terminated" && s.exitCode === 0) ? "Succeeded" : "Failed";
  }
  return states.every((s) => s.kind === "running" || s.kind === "terminated") ? "Running" : "Pending";
}

/** Keeps a condition's lastTransitionTime while its status does not change. */
function condition(old: Condition[] | undefined, type: string, ok: boolean, now: string, reason?: string, message?: string): Condition {
  const status = ok ? "True" : "False";
  const before = old?.find((c) => c.type === type);
  const lastTransitionTime = before && before.status === status ? (before.lastTransitionTime ?? now) : now;
  const c: Condition = { type, status, lastProbeTime: null, lastTransitionTime };
  if (!ok && reason) c.reason = reason;
  if (!ok && message) c.message = message;
  return c;
}

function conditions(pod: Pod, statuses: ContainerStatus[], view: PodView, now: string): Condition[] {
  const old = pod.status?.conditions;
  const unready = statuses.filter((s) => !s.ready).map((s) => s.name);
  const phase = phaseOf(view);
  const reason = phase === "Succeeded" || phase === "Failed" ? "PodCompleted" : view.terminating ? "PodTerminating" : "ContainersNotReady";
  const message = reason === "ContainersNotReady" ? `containers with unready status: [${unready.join(" ")}]` : undefined;
  const ready = unready.length === 0;
  return [
    condition(old, "PodReadyToStartContainers", true, now),
    condition(old, "Initialized", true, now),
    condition(old, "Ready", ready, now, reason, message),
    condition(old, "ContainersReady", ready, now, reason, message),
    condition(old, "PodScheduled", true, now),
  ];
}

/** The whole status of `pod` as the kubelet of the node at `hostIP` sees it now (fields the kubelet does not own are kept). */
export function podStatus(pod: Pod, view: PodView, hostIP: string, now = Date.now()): PodStatus {
  const at = timestamp(now);
  const statuses = view.containers.map((c) => containerStatus(c, view.terminating));
  return {
    ...pod.status,
    phase: phaseOf(view),
    conditions: conditions(pod, statuses, view, at),
    hostIP,
    hostIPs: [{ ip: hostIP }],
    podIP: view.ip,
    podIPs: [{ ip: view.ip }],
    startTime: view.startTime,
    containerStatuses: statuses,
  };
}

const SHUTDOWN_MESSAGE = "Pod was terminated in response to imminent node shutdown.";

/** The status of a pod a graceful node shutdown ended: Failed, reason Terminated, DisruptionTarget=True. */
export function shutdownStatus(status: PodStatus, now = Date.now()): PodStatus {
  const at = timestamp(now);
  const disruption: Condition = { type: "DisruptionTarget", status: "True", reason: "TerminationByKubelet", message: SHUTDOWN_MESSAGE, lastProbeTime: null, lastTransitionTime: at };
  const conditions = [...(status.conditions ?? []).filter((c) => c.type !== "DisruptionTarget"), disruption];
  return { ...status, phase: "Failed", reason: "Terminated", message: SHUTDOWN_MESSAGE, conditions };
}
