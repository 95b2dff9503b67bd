import type { V1Deployment, V1Service } from "@kubernetes/client-node";
import type { Reason } from "@baton/contracts";
import {
  LABEL_APP,
  LABEL_REVISION,
  deploymentName,
  kubeCall,
  kubeError,
  kubeGetOrNull,
  ownershipProblem,
  previewServiceName,
  productionServiceName,
  revisionOfSelector,
} from "@baton/runtime";
import type { KubePorts } from "../kube.js";

export interface ClusterRevisions {
  /** The revision production serves: the one the production Service selects, when its Deployment exists. */
  readonly live: number | null;
  /** The revision the production Service selects, whether or not its Deployment exists. */
  readonly selected: number | null;
  /** The highest revision of any Deployment of the app (0 when none): new revisions go above it. */
  readonly floor: number;
  /**
   * Objects the release would change that Baton did not make for this app (the production and
   * preview Services, the live Deployment), each named with why: the release cannot go ahead.
   */
  readonly notOwned: readonly Reason[];
}

/** Reads the production and preview Services and the app's Deployments. */
export async function findRevisions(kube: KubePorts, namespace: string, app: string): Promise<ClusterRevisions> {
  const [production, preview, deployments] = await Promise.all([
    readService(kube, namespace, productionServiceName(app)),
    readService(kube, namespace, previewServiceName(app)),
    appDeployments(kube, namespace, app),
  ]);
  const selected = production === null ? null : revisionOfSelector(production.spec?.selector, app);
  const deployed = deployments.flatMap((d) => {
    const rev = Number(d.metadata?.labels?.[LABEL_REVISION]);
    return Number.isInteger(rev) && rev > 0 ? [rev] : [];
  });
  const floor = Math.max(0, selected ?? 0, ...deployed);
  const live = selected !== null && deployed.includes(selected) ? selected : null;
  const liveDeployment = live === null ? null : (deployments.find((d) => d.metadata?.name === deploymentName(app, live)) ?? null);
  const notOwned = [
    production === null ? undefined : ownershipProblem("Service", production, { app }),
    preview === null ? undefined : ownershipProblem("Service", preview, { app }),
    liveDeployment === null ? undefined : ownershipProblem("Deployment", liveDeployment, { app }),
  ].flatMap((problem) => (problem === undefined ? [] : [{ path: "app", rule: "must not need an object Baton did not make", message: `app: ${problem}` }]));
  return { live, selected, floor, notOwned };
}

function readService(kube: KubePorts, namespace: string, name: string): Promise<V1Service | null> {
  return kubeGetOrNull(kube.metrics, "services", `Service ${namespace}/${name}`, () => kube.core.readNamespacedService({ name, namespace }));
}

/** The app's Deployments (label app.kubernetes.io/name), in no particular order. */
async function appDeployments(kube: KubePorts, namespace: string, app: string): Promise<V1Deployment[]> {
  try {
    const list = await kubeCall(kube.metrics, "list", "deployments", () =>
      kube.apps.listNamespacedDeployment({ namespace, labelSelector: `${LABEL_APP}=${app}` }),
    );
    return list.items;
  } catch (err) {
    throw kubeError(`list Deployments of ${namespace}/${app}`, err);
  }
}
