import type { CoreV1Api } from "@kubernetes/client-node";
import { RetryableError, kubeCall, kubeError, previewServiceName, revisionOfSelector, serviceUrl, type Config, type Metrics } from "@baton/runtime";

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
  let selected: number | null;
  try {
    const svc = await kubeCall(metrics, "get", "services", () => core.readNamespacedService({ name, namespace }));
    selected = revisionOfSelector(svc.spec?.selector, app);
  } catch (err) {
    throw kubeError(`read Service ${namespace}/${name}`, err);
  }
  if (selected !== revision) {
    throw new RetryableError(`Service ${namespace}/${name} selects revision ${selected ?? "(none)"}, not ${revision}`);
  }
  try {
    return await serviceUrl(counted(core, metrics), config, namespace, name);
  } catch (err) {
    throw err instanceof RetryableError ? err : kubeError(`address of Service ${namespace}/${name}`, err);
  }
}

/** The client with the one call serviceUrl makes counted in baton_kube_requests_total. */
function counted(core: CoreV1Api, metrics: Metrics | undefined): CoreV1Api {
  const read: CoreV1Api["readNamespacedService"] = (param, options) =>
    kubeCall(metrics, "get", "services", () => core.readNamespacedService(param, options));
  return Object.create(core, { readNamespacedService: { value: read } }) as CoreV1Api;
}
