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
 * It reads the preview Service's EndpointSlices (which select the candidate) and, when those are not
 * enough, the production Service's (which already select it when an earlier attempt switched and
 * then crashed), so the answer is what a Service would really route to, not what the pods say of
 * themselves. `needed`: enough is enough; the production read is skipped when the preview has it.
 */
export async function readyEndpointsOf(
  kube: KubePorts,
  namespace: string,
  app: string,
  revision: number,
  needed = Number.POSITIVE_INFINITY,
): Promise<ReadyEndpoints> {
  const [pods, preview] = await Promise.all([
    revisionPods(kube, namespace, app, revision),
    readyAddresses(kube, namespace, previewServiceName(app)),
  ]);
  const fromPreview = split(preview, pods).ofRevision;
  if (fromPreview >= needed) return { ready: fromPreview, pods: pods.names.size };
  const production = await readyAddresses(kube, namespace, productionServiceName(app));
  const { ofRevision } = split([...preview, ...production], pods);
  return { ready: ofRevision, pods: pods.names.size };
}
