import type { V1PodTemplateSpec } from "@kubernetes/client-node";
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
  /** The live revision's pod template (the new revision starts from it); null when none is live. */
  readonly liveTemplate: V1PodTemplateSpec | null;
}

/** Reads the production Service's selector and the app's Deployments. */
export async function findRevisions(kube: KubePorts, namespace: string, app: string): Promise<ClusterRevisions> {
  const [selected, deployed] = await Promise.all([selectedRevision(kube, namespace, app), deployedRevisions(kube, namespace, app)]);
  const floor = Math.max(0, selected ?? 0, ...deployed.keys());
  const live = selected !== null && deployed.has(selected) ? selected : null;
  return { live, selected, floor, liveTemplate: live === null ? null : (deployed.get(live) ?? null) };
}

/** The revision the production Service `<app>` selects; null when there is no such Service (a first release). */
async function selectedRevision(kube: KubePorts, namespace: string, app: string): Promise<number | null> {
  const name = productionServiceName(app);
  const svc = await kubeGetOrNull(kube.metrics, "services", `Service ${namespace}/${name}`, () => kube.core.readNamespacedService({ name, namespace }));
  return svc === null ? null : revisionOfSelector(svc.spec?.selector, app);
}

/** The app's Deployments by revision (label baton.dev/revision): each one's pod template. */
async function deployedRevisions(kube: KubePorts, namespace: string, app: string): Promise<Map<number, V1PodTemplateSpec | null>> {
  try {
    const list = await kubeCall(kube.metrics, "list", "deployments", () =>
      kube.apps.listNamespacedDeployment({ namespace, labelSelector: `${LABEL_APP}=${app}` }),
    );
    return new Map(
      list.items.flatMap((d) => {
        const rev = Number(d.metadata?.labels?.[LABEL_REVISION]);
        return Number.isInteger(rev) && rev > 0 ? [[rev, d.spec?.template ?? null] as const] : [];
      }),
    );
  } catch (err) {
    throw kubeError(`list Deployments of ${namespace}/${app}`, err);
  }
}
