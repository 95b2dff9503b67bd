import {
  LABEL_APP,
  LABEL_REVISION,
  kubeCall,
  kubeError,
  kubeGetOrNull,
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
}

/** Reads the production Service's selector and the app's Deployments. */
export async function findRevisions(kube: KubePorts, namespace: string, app: string): Promise<ClusterRevisions> {
  const [selected, deployed] = await Promise.all([selectedRevision(kube, namespace, app), deployedRevisions(kube, namespace, app)]);
  const floor = Math.max(0, selected ?? 0, ...deployed);
  const live = selected !== null && deployed.includes(selected) ? selected : null;
  return { live, selected, floor };
}

/** The revision the production Service `<app>` selects; null when there is no such Service (a first release). */
async function selectedRevision(kube: KubePorts, namespace: string, app: string): Promise<number | null> {
  const name = productionServiceName(app);
  const svc = await kubeGetOrNull(kube.metrics, "services", `Service ${namespace}/${name}`, () => kube.core.readNamespacedService({ name, namespace }));
  return svc === null ? null : revisionOfSelector(svc.spec?.selector, app);
}

/** Revisions of the app's Deployments (label baton.dev/revision), in no particular order. */
async function deployedRevisions(kube: KubePorts, namespace: string, app: string): Promise<number[]> {
  try {
    const list = await kubeCall(kube.metrics, "list", "deployments", () =>
      kube.apps.listNamespacedDeployment({ namespace, labelSelector: `${LABEL_APP}=${app}` }),
    );
    return list.items.flatMap((d) => {
      const rev = Number(d.metadata?.labels?.[LABEL_REVISION]);
      return Number.isInteger(rev) && rev > 0 ? [rev] : [];
    });
  } catch (err) {
    throw kubeError(`list Deployments of ${namespace}/${app}`, err);
  }
}
