// @baton/traffic-switcher: moves production traffic to the new revision once it is promoted and
// its ready endpoints meet the threshold, and back to the previous revision when a release rolls
// back after (or during) the switch.

import { kubeEventRecorder, loadKubeConfig, uidOrNone, type ServiceModule } from "@baton/runtime";
import { createKubeClients } from "./kube.js";
import { trafficSwitcherStage } from "./stage.js";

export const trafficSwitcherService: ServiceModule = {
  name: "traffic-switcher",
  async create(config) {
    const kube = createKubeClients(config);
    // The uids of the production Service and the revision's Deployment, for the Kubernetes Events recorded on them.
    const uids = async (kind: "Deployment" | "Service", namespace: string, name: string) =>
      uidOrNone(() => (kind === "Deployment" ? kube.apps.readNamespacedDeployment({ name, namespace }) : kube.core.readNamespacedService({ name, namespace })));
    return { stages: [{ ...trafficSwitcherStage(kube), kubeEvents: kubeEventRecorder(loadKubeConfig(config), "traffic-switcher", uids) }] };
  },
};

export { createKubeClients } from "./kube.js";
export type { KubeClients, KubePorts } from "./kube.js";
export { DEFAULT_SWITCHER_OPTIONS, switcherOptions } from "./options.js";
export type { SwitcherOptions } from "./options.js";
export { trafficSwitcherStage } from "./stage.js";
export { ensureProductionService, switchSelector } from "./steps/switch-selector.js";
export type { SelectorChange } from "./steps/switch-selector.js";
export { confirmSwitch } from "./steps/confirm-switch.js";
export type { Confirmation } from "./steps/confirm-switch.js";
export { readyEndpointsOf } from "./steps/ready-endpoints.js";
export type { ReadyEndpoints } from "./steps/ready-endpoints.js";
