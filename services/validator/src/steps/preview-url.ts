import { get } from "node:http";
import type { CoreV1Api, DiscoveryV1Api, V1Service } from "@kubernetes/client-node";
import { RetryableError, deploymentName, kubeCall, kubeError, previewServiceName, readyServiceEndpoints, revisionOfSelector, serviceUrlOf, type Config, type Metrics } from "@baton/runtime";

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

const ENDPOINTS_POLL_MS = 100;
const ENDPOINTS_WAIT_MS = 30_000;

/**
 * Waits until the preview Service sends traffic to a pod of the revision: its EndpointSlices list
 * a ready endpoint of one. Pods are Ready (PodsLive) a moment before the endpoint controller puts
 * them in the Service's slices and kube-proxy routes to them; a request in between finds no
 * backend (a refused or reset connection) and would fail a check of a healthy v2. Gives up after
 * 30 s with a retryable error (the message is delivered again, within the phase's deadline), and
 * at once when `signal` aborts.
 */
export async function waitPreviewEndpoints(
  discovery: DiscoveryV1Api,
  namespace: string,
  app: string,
  revision: number,
  signal: AbortSignal,
  metrics?: Metrics,
): Promise<void> {
  const name = previewServiceName(app);
  const prefix = `${deploymentName(app, revision)}-`; // the revision's pods: <app>-<revision>-<hash>-<suffix>
  const until = Date.now() + ENDPOINTS_WAIT_MS;
  for (;;) {
    const ready = await readyServiceEndpoints(discovery, metrics, namespace, name);
    if (ready.some((e) => e.pod === undefined || e.pod.startsWith(prefix))) return;
    if (signal.aborted) return;
    if (Date.now() >= until) throw new RetryableError(`Service ${namespace}/${name} lists no ready endpoint of revision ${revision} after ${ENDPOINTS_WAIT_MS / 1000} s`);
    await new Promise((r) => setTimeout(r, ENDPOINTS_POLL_MS));
  }
}

const REACHABLE_WAIT_MS = 10_000;

/**
 * Waits until the preview Service answers HTTP at all (any status: `GET /`, its own connection).
 * After the EndpointSlices list a v2 pod, the node's proxy (kube-proxy, or kube-sim's) programs it
 * a moment later; until then a connection is refused or reset. Gives up quietly after 10 s (the
 * checks then report what they meet) and at once when `signal` aborts.
 */
export async function waitPreviewReachable(baseUrl: string, signal: AbortSignal): Promise<void> {
  const until = Date.now() + REACHABLE_WAIT_MS;
  while (!signal.aborted && Date.now() < until) {
    const answered = await new Promise<boolean>((resolve) => {
      const req = get(`${baseUrl}/`, { agent: false, headers: { Connection: "close", "User-Agent": "baton-validator (reachability)" }, timeout: 2000 }, (res) => {
        res.resume();
        resolve(true);
      });
      req.on("timeout", () => req.destroy(new Error("timed out")));
      req.on("error", () => resolve(false));
    });
    if (answered) return;
    await new Promise((r) => setTimeout(r, ENDPOINTS_POLL_MS));
  }
}
