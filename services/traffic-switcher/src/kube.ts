import { AppsV1Api, CoreV1Api, DiscoveryV1Api } from "@kubernetes/client-node";
import { loadKubeConfig, type Config, type Metrics } from "@baton/runtime";

// The traffic-switcher's ports to the cluster: EndpointSlices (list) and Pods (read), the production
// Service (create, merge-patch its selector), v1's Deployment (read, scale on a switch back).

export interface KubeClients {
  readonly core: CoreV1Api;
  readonly apps: AppsV1Api;
  readonly discovery: DiscoveryV1Api;
}

/** The clients a step uses, with the metrics its calls are counted in. */
export interface KubePorts extends KubeClients {
  readonly metrics: Metrics;
}

export function createKubeClients(config: Pick<Config, "KUBECONFIG" | "BATON_KUBE_TIMEOUT_MS">): KubeClients {
  const kc = loadKubeConfig(config);
  return { core: kc.makeApiClient(CoreV1Api), apps: kc.makeApiClient(AppsV1Api), discovery: kc.makeApiClient(DiscoveryV1Api) };
}
