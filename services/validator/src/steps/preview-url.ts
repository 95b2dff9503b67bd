import type { CoreV1Api, V1Service } from "@kubernetes/client-node";
import { RetryableError, kubeCall, kubeError, previewServiceName, revisionOfSelector, serviceUrlOf, type Config, type Metrics } from "@baton/runtime";

/**
 * The base URL of the preview Service `<app>-preview`, after checking that it selects the revision
 * under test (so test traffic never reaches another revision).
 */
export async function previewUrl(
  core: CoreV1Api,
  config: Pick<Config, "BATON_SERVICE_ADDRESS" | "BATON_CLUSTER_DOMAIN">,
  namespace: string,
  app: string,
  revision: number,
  metrics?: Metrics,
): Promise<string> {
  const name = previewServiceName(app);
  let svc: V1Service;
  try {
    svc = await kubeCall(metrics, "get", "services", () => core.readNamespacedService({ name, namespace }));
  } catch (err) {
    throw kubeError(`read Service ${namespace}/${name}`, err);
  }
  const selected = revisionOfSelector(svc.spec?.selector, app);
  if (selected !== revision) {
    throw new RetryableError(`Service ${namespace}/${name} selects revision ${selected ?? "(none)"}, not ${revision}`);
  }
  return serviceUrlOf(svc, config, namespace, name); // the address of the object just checked: one read
}
