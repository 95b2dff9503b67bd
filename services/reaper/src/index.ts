// @baton/reaper: the last stage. After the switch it keeps v1 for shutdown.delaySeconds, scales it
// to zero (graceful drain), forces the rest down when the grace timer fires, deletes v1's
// Deployment, runs the post-release activities (SQL exactly once, webhooks) and completes.

import { AppsV1Api, CoreV1Api } from "@kubernetes/client-node";
import { ConfigError, kubeEventRecorder, loadKubeConfig, messageOf, uidOrNone, type ServiceModule } from "@baton/runtime";
import { reaperStage } from "./stage.js";

export const reaperService: ServiceModule = {
  name: "reaper",
  async create(config) {
    let kc;
    try {
      kc = loadKubeConfig(config);
    } catch (err) {
      throw new ConfigError([`KUBECONFIG: cannot load a kubeconfig (${config.KUBECONFIG ?? "default locations"}): ${messageOf(err)}`]);
    }
    const deps = {
      apps: kc.makeApiClient(AppsV1Api),
      core: kc.makeApiClient(CoreV1Api),
      fetch: globalThis.fetch,
      webhookHosts: config.BATON_WEBHOOK_ALLOWED_HOSTS,
      secretBindings: config.BATON_SECRET_BINDINGS,
    };
    // The uid of a revision's Deployment, for the Kubernetes Events recorded on it.
    const uids = async (kind: "Deployment" | "Service", namespace: string, name: string) =>
      kind === "Deployment" ? uidOrNone(() => deps.apps.readNamespacedDeployment({ name, namespace })) : undefined;
    return { stages: [{ ...reaperStage(deps), kubeEvents: kubeEventRecorder(kc, "reaper", uids) }] };
  },
};

export { reaperStage } from "./stage.js";
export type { ReaperDeps } from "./deps.js";
export { JOURNAL_TABLE } from "./activities/sql.js";
