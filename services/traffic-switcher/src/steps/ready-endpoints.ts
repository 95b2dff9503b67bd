import { previewServiceName, productionServiceName } from "@baton/runtime";
import type { KubePorts } from "../kube.js";
import { readyAddresses, revisionPods, split } from "./endpoints.js";

export interface ReadyEndpoints {
  /** Ready endpoints of the revision's pods. */
  readonly ready: number;
  /** Pods of the revision (ready or not). */
  readonly pods: number;
}

/**
 * The question `enoughReadyEndpoints?` asks: how many pods of the revision are ready endpoints.
 * It reads the preview Service's Endpoints (which select the candidate) and the production
 * Service's (which already select it when an earlier attempt switched and then crashed), so the
 * answer is what a Service would really route to, not what the pods say of themselves.
 */
export async function readyEndpointsOf(kube: KubePorts, namespace: string, app: string, revision: number): Promise<ReadyEndpoints> {
  const [pods, preview, production] = await Promise.all([
    revisionPods(kube, namespace, app, revision),
    readyAddresses(kube, namespace, previewServiceName(app)),
    readyAddresses(kube, namespace, productionServiceName(app)),
  ]);
  const { ofRevision } = split([...preview, ...production], pods);
  return { ready: ofRevision, pods: pods.names.size };
}
