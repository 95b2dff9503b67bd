import { ApisApi, type KubeConfig } from "@kubernetes/client-node";
import { kubeCall, messageOf, type Component, type OpenRuntime } from "@baton/runtime";
import { startReleaseResourceWatcher } from "./release-resource/index.js";
import { GROUP } from "./release-resource/release-object.js";

/**
 * Follows Release objects (`kubectl apply -f release.yaml`) when the cluster serves the
 * baton.dev API group, i.e. when the Release CRD is installed (deploy/). Without it the planner
 * serves the intake alone and says so once; installing the CRD later needs a planner restart.
 */
export async function releaseResourcesIfServed(rt: OpenRuntime, kc: KubeConfig): Promise<Component[]> {
  const log = rt.log.child({ component: "release-resource" });
  let served: boolean;
  try {
    const groups = await kubeCall(rt.metrics, "get", "apis", () => kc.makeApiClient(ApisApi).getAPIVersions());
    served = groups.groups.some((g) => g.name === GROUP);
  } catch (err) {
    log.error({ err: messageOf(err) }, "cannot read the cluster's API groups: Release objects are not followed until the planner restarts");
    return [];
  }
  if (!served) {
    log.info(`the cluster does not serve ${GROUP} (Release CRD not installed): Release objects are not followed`);
    return [];
  }
  return [await startReleaseResourceWatcher(rt, kc)];
}
