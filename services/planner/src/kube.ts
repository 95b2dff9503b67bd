import { AppsV1Api, CoreV1Api, type KubeConfig } from "@kubernetes/client-node";
import { loadKubeConfig, type Config, type Metrics } from "@baton/runtime";

// The planner's ports to the cluster: it only reads (namespaces, the production Service,
// the app's Deployments). Built once per service from the kubeconfig the config names.

export interface KubeClients {
  readonly kc: KubeConfig;
  readonly core: CoreV1Api;
  readonly apps: AppsV1Api;
}

/** The clients a step uses, with the metrics its calls are counted in. */
export interface KubePorts {
  readonly core: CoreV1Api;
  readonly apps: AppsV1Api;
  readonly metrics: Metrics;
}

export function createKubeClients(config: Pick<Config, "KUBECONFIG" | "BATON_KUBE_TIMEOUT_MS">): KubeClients {
  const kc = loadKubeConfig(config);
  return { kc, core: kc.makeApiClient(CoreV1Api), apps: kc.makeApiClient(AppsV1Api) };
}
