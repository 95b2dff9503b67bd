// @baton/planner: the intake (request/reply on `<prefix>.intake`), the planner stage, and the
// Release custom resource watcher (once the cluster has the CRD).

import { kubeEventRecorder, startJanitor, type ServiceModule } from "@baton/runtime";
import { startIntake } from "./intake.js";
import { createKubeClients } from "./kube.js";
import { plannerOptions } from "./options.js";
import { followReleaseResources } from "./release-resources.js";
import { plannerStage } from "./stage.js";

export const plannerService: ServiceModule = {
  name: "planner",
  async create(config) {
    const opts = plannerOptions(config);
    const kube = createKubeClients(config);
    return {
      stages: [{ ...plannerStage(kube, opts), kubeEvents: kubeEventRecorder(kube.kc, "planner") }],
      extra: async (rt) => [
        await startIntake(rt, opts),
        followReleaseResources(rt, kube.kc),
        // The planner writes the index and the revision lists, so it prunes them (its Redis user may).
        startJanitor(rt, config.BATON_PRUNE_INTERVAL_S * 1000),
      ],
    };
  },
};

export { handleIntake, INTAKE_QUEUE, REQUESTED_BY_HEADER, startIntake } from "./intake.js";
export type { IntakeReply } from "./intake.js";
export { createKubeClients } from "./kube.js";
export type { KubeClients, KubePorts } from "./kube.js";
export { plannerOptions } from "./options.js";
export type { PlannerOptions } from "./options.js";
export { followReleaseResources } from "./release-resources.js";
export type { FollowOptions } from "./release-resources.js";
export { startReleaseResourceWatcher } from "./release-resource/index.js";
export type { ReleaseWatcherOptions } from "./release-resource/index.js";
export { plannerStage } from "./stage.js";
