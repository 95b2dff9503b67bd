import type { AppsV1Api, CoreV1Api } from "@kubernetes/client-node";
import type { Metrics, PodWatchHub } from "@baton/runtime";

/** What the pod-manager's handlers and steps work with (made once by the service module). */
export interface PodManagerDeps {
  readonly core: CoreV1Api;
  readonly apps: AppsV1Api;
  readonly pods: PodWatchHub;
  /** Counts Kubernetes calls; undefined in tests that do not care. */
  readonly metrics?: Metrics;
}

/** The release a step works on, with what the steps need from its state. */
export interface Target {
  readonly releaseId: string;
  readonly app: string;
  readonly namespace: string;
  readonly revision: number;
}
