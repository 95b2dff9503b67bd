// @baton/pod-manager: brings the new revision up (Deployment + preview Service), reports PodsLive
// or PodsFailed, and tears the revision down when the release rolls back.
import { AppsV1Api, CoreV1Api } from "@kubernetes/client-node";
import { PodWatchHub, createLogger, kubeEventRecorder, loadKubeConfig, uidOrNone, type ServiceModule, type UidReader } from "@baton/runtime";
import type { PodManagerDeps } from "./deps.js";
import { podManagerStage } from "./stage.js";

export const podManagerService: ServiceModule = {
  name: "pod-manager",
  async create(config) {
    const kc = loadKubeConfig(config);
    const core = kc.makeApiClient(CoreV1Api);
    const apps = kc.makeApiClient(AppsV1Api);
    const log = createLogger({ service: "pod-manager", level: config.BATON_LOG_LEVEL, pretty: config.BATON_LOG_PRETTY });
    const pods = new PodWatchHub(kc, core, log);
    const deps: { -readonly [K in keyof PodManagerDeps]: PodManagerDeps[K] } = { core, apps, pods };
    return {
      stages: [{ ...podManagerStage(deps), kubeEvents: kubeEventRecorder(kc, "pod-manager", deploymentUids(apps)) }],
      // The runtime (its metrics and logger) exists once the stages start: count Kubernetes calls and
      // log the pod watch through it from then on.
      extra: async (rt) => {
        deps.metrics = rt.metrics;
        pods.useRuntime(rt.log.child({ stage: "pod-manager" }), rt.metrics);
        return [];
      },
      close: () => pods.close(),
    };
  },
};

/** The uid of a revision's Deployment, for the Kubernetes Events recorded on it. */
function deploymentUids(apps: AppsV1Api): UidReader {
  return async (kind, namespace, name) => (kind === "Deployment" ? uidOrNone(() => apps.readNamespacedDeployment({ name, namespace })) : undefined);
}

export { podManagerStage } from "./stage.js";
export type { PodManagerDeps, Target } from "./deps.js";
// The pod template of a new revision lives in @baton/runtime (the planner computes it too, to warn).
export { podTemplateFor, mergeOver } from "@baton/runtime";
export { failureReason, summarize } from "./steps/pod-status.js";
