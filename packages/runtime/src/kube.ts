import type { Agent } from "node:http";
import { ApiException, CoreV1Api, KubeConfig, type DiscoveryV1Api, type V1Service } from "@kubernetes/client-node";
import type { Config } from "./config.js";
import { RetryableError, TerminalError } from "./errors.js";
import type { Metrics } from "./metrics.js";

// Kubernetes conventions every stage shares, and the few helpers around @kubernetes/client-node.
// For app `web` at revision N: Deployment `web-N` (labels app.kubernetes.io/name=web,
// baton.dev/revision=N), production Service `web` selecting the live revision, preview Service
// `web-preview` selecting the candidate.

export const LABEL_APP = "app.kubernetes.io/name";
export const LABEL_REVISION = "baton.dev/revision";
export const LABEL_RELEASE = "baton.dev/release-id";
export const LABEL_MANAGED_BY = "app.kubernetes.io/managed-by";
export const MANAGED_BY = "baton";

export function deploymentName(app: string, revision: number): string {
  return `${app}-${revision}`;
}

export function productionServiceName(app: string): string {
  return app;
}

export function previewServiceName(app: string): string {
  return `${app}-preview`;
}

/** The selector of one revision's pods (what the production and preview Services select). */
export function revisionSelector(app: string, revision: number): Record<string, string> {
  return { [LABEL_APP]: app, [LABEL_REVISION]: String(revision) };
}

/** Whether two label selectors select the same thing (same keys, same values). */
export function sameSelector(a: Record<string, string>, b: Record<string, string>): boolean {
  const ka = Object.keys(a);
  return ka.length === Object.keys(b).length && ka.every((k) => a[k] === b[k]);
}

/**
 * The selector of a JSON merge patch that turns `have` into exactly `want`: keys `want` lacks are
 * set to null, since a merge patch keeps every key it does not name.
 */
export function selectorPatch(have: Record<string, string>, want: Record<string, string>): Record<string, string | null> {
  const removed = Object.fromEntries(Object.keys(have).filter((k) => !(k in want)).map((k) => [k, null]));
  return { ...removed, ...want };
}

/** The revision a selector points at, or null when it is not one of Baton's. */
export function revisionOfSelector(selector: Record<string, string> | undefined, app: string): number | null {
  if (selector?.[LABEL_APP] !== app) return null;
  const rev = Number(selector[LABEL_REVISION]);
  return Number.isInteger(rev) && rev > 0 ? rev : null;
}

/**
 * The kubeconfig named by KUBECONFIG, or the in-cluster service account, or ~/.kube/config; its
 * clients reuse connections (see {@link reuseConnections}) and time out (BATON_KUBE_TIMEOUT_MS,
 * see {@link timeOutRequests}).
 */
export function loadKubeConfig(config: Pick<Config, "KUBECONFIG"> & Partial<Pick<Config, "BATON_KUBE_TIMEOUT_MS">>): KubeConfig {
  const kc = new KubeConfig();
  if (config.KUBECONFIG !== undefined && config.KUBECONFIG !== "") kc.loadFromFile(config.KUBECONFIG);
  else kc.loadFromDefault();
  return timeOutRequests(reuseConnections(kc), config.BATON_KUBE_TIMEOUT_MS ?? DEFAULT_KUBE_TIMEOUT_MS);
}

export const DEFAULT_KUBE_TIMEOUT_MS = 30_000;

type SecurityContext = { getSignal(): AbortSignal | undefined; setSignal(signal: AbortSignal): void };

/**
 * client-node 1.4 sets no timeout on its requests: a call the API server (or a dead connection)
 * never answers hangs its handler for ever, and the handler's heartbeat keeps its message in
 * progress. Every request of the clients made from this kubeconfig (`makeApiClient`) gets an abort
 * signal that fires after `ms` — set where client-node lets the kubeconfig touch each request, its
 * authentication step — so such a call fails (retryable) and is retried. Watches are not affected.
 */
export function timeOutRequests(kc: KubeConfig, ms: number): KubeConfig {
  const target = kc as unknown as { applySecurityAuthentication(ctx: SecurityContext): Promise<void> };
  const authenticate = target.applySecurityAuthentication.bind(kc);
  target.applySecurityAuthentication = async (ctx) => {
    await authenticate(ctx);
    if (ctx.getSignal() === undefined) ctx.setSignal(AbortSignal.timeout(ms));
  };
  return kc;
}

type AgentFactory = (cluster: { server: string } | null, options: Record<string, unknown>) => Agent;

/**
 * client-node 1.4 builds a new HTTP(S) agent for every request, so every API call opens a new
 * connection (and, on a real cluster, does a new TLS handshake). This keeps one keep-alive agent per
 * server and client identity instead: a rotated client certificate still gets a new agent.
 */
export function reuseConnections(kc: KubeConfig): KubeConfig {
  const target = kc as unknown as { createAgent: AgentFactory };
  const create = target.createAgent.bind(kc);
  const agents = new Map<string, Agent>();
  target.createAgent = (cluster, options) => {
    const key = [cluster?.server, options.ca, options.cert, options.key, options.pfx, options.rejectUnauthorized].map(String).join("|");
    let agent = agents.get(key);
    if (agent === undefined) {
      agent = create(cluster, { ...options, keepAlive: true });
      agents.set(key, agent);
    }
    return agent;
  };
  return kc;
}

/** The HTTP status of a Kubernetes API error, or undefined for anything else. */
export function kubeStatus(err: unknown): number | undefined {
  return err instanceof ApiException ? err.code : undefined;
}

export const isNotFound = (err: unknown): boolean => kubeStatus(err) === 404;
export const isConflict = (err: unknown): boolean => kubeStatus(err) === 409;

/**
 * Wraps a Kubernetes error in Baton's families: 4xx other than 408/409/429 is terminal (the
 * request is wrong and will stay wrong); everything else (5xx, timeouts, refused) is retryable.
 */
export function kubeError(what: string, err: unknown): Error {
  const code = kubeStatus(err);
  const detail = err instanceof ApiException ? statusMessage(err) : (err as Error)?.message ?? String(err);
  const message = `${what}: ${code === undefined ? "" : `HTTP ${code} `}${detail}`;
  const terminal = code !== undefined && code >= 400 && code < 500 && ![408, 409, 429].includes(code);
  return terminal ? new TerminalError(message, { cause: err }) : new RetryableError(message, { cause: err });
}

function statusMessage(err: ApiException<unknown>): string {
  const body = err.body;
  if (typeof body === "string") {
    try {
      return (JSON.parse(body) as { message?: string }).message ?? body;
    } catch {
      return body;
    }
  }
  return (body as { message?: string } | undefined)?.message ?? err.message;
}

/** Runs one Kubernetes API call, counting it by verb, resource and result. */
export async function kubeCall<T>(metrics: Metrics | undefined, verb: string, resource: string, fn: () => Promise<T>): Promise<T> {
  try {
    const out = await fn();
    metrics?.kubeRequests.inc({ verb, resource, result: "ok" });
    return out;
  } catch (err) {
    metrics?.kubeRequests.inc({ verb, resource, result: String(kubeStatus(err) ?? "error") });
    throw err;
  }
}

/**
 * A counted `get` that answers null when the object does not exist; any other error is wrapped in
 * Baton's families as "read <what>: …" (`what`: e.g. "Service shop/web").
 */
export async function kubeGetOrNull<T>(metrics: Metrics | undefined, resource: string, what: string, fn: () => Promise<T>): Promise<T | null> {
  try {
    return await kubeCall(metrics, "get", resource, fn);
  } catch (err) {
    if (isNotFound(err)) return null;
    throw kubeError(`read ${what}`, err);
  }
}

/**
 * Where a Service is reachable from outside the cluster when its type has no load-balancer
 * status to hold it (`host:port`). The Kubernetes API (1.29 and later) refuses
 * `status.loadBalancer.ingress` on any Service whose type is not LoadBalancer, so whatever exposes
 * a ClusterIP Service to where Baton runs publishes its address here: kube-sim's proxy does, on
 * kube-sim and on a real cluster it joins; a tunnel or port-forward of your own can.
 */
export const SERVICE_ADDRESS_ANNOTATION = "baton.dev/external-address";

/**
 * The base URL at which a Service answers: through cluster DNS when Baton runs in the cluster;
 * with `BATON_SERVICE_ADDRESS=cluster-ip`, at its ClusterIP and port (inside a cluster without DNS
 * for Baton, or where the Service range routes to Baton's machine); with `load-balancer`, through the address its load balancer publishes
 * (status.loadBalancer.ingress), else the address in the annotation
 * {@link SERVICE_ADDRESS_ANNOTATION} (as kube-sim's proxy publishes on every Service).
 */
export async function serviceUrl(
  core: CoreV1Api,
  config: Pick<Config, "BATON_SERVICE_ADDRESS" | "BATON_CLUSTER_DOMAIN">,
  namespace: string,
  name: string,
): Promise<string> {
  return serviceUrlOf(await core.readNamespacedService({ name, namespace }), config, namespace, name);
}

/** {@link serviceUrl} of the Service `namespace/name` already read (saves the read when the caller has it). */
export function serviceUrlOf(
  svc: V1Service,
  config: Pick<Config, "BATON_SERVICE_ADDRESS" | "BATON_CLUSTER_DOMAIN">,
  namespace: string,
  name: string,
): string {
  const port = svc.spec?.ports?.[0]?.port ?? 80;
  if (config.BATON_SERVICE_ADDRESS === "cluster-dns") return `http://${name}.${namespace}.svc.${config.BATON_CLUSTER_DOMAIN}:${port}`;
  if (config.BATON_SERVICE_ADDRESS === "cluster-ip") {
    const ip = svc.spec?.clusterIP;
    if (ip === "None") throw new TerminalError(`Service ${namespace}/${name} has no cluster IP (headless): BATON_SERVICE_ADDRESS=cluster-ip cannot reach it`);
    if (!ip) throw new RetryableError(`Service ${namespace}/${name} has no cluster IP yet`);
    return `http://${ip.includes(":") ? `[${ip}]` : ip}:${port}`;
  }
  const ingress = svc.status?.loadBalancer?.ingress?.[0];
  const host = ingress?.ip ?? ingress?.hostname;
  if (host !== undefined) return `http://${host.includes(":") ? `[${host}]` : host}:${ingress?.ports?.[0]?.port ?? port}`;
  const annotated = svc.metadata?.annotations?.[SERVICE_ADDRESS_ANNOTATION];
  if (annotated === undefined) {
    throw new RetryableError(`Service ${namespace}/${name} has no load-balancer address yet (status.loadBalancer.ingress, or the annotation ${SERVICE_ADDRESS_ANNOTATION})`);
  }
  if (!/^(\[[0-9a-fA-F:.]+\]|[^\s:/[\]]+):\d{1,5}$/.test(annotated)) {
    throw new TerminalError(`the annotation ${SERVICE_ADDRESS_ANNOTATION} of Service ${namespace}/${name} must be host:port, got "${annotated}"`);
  }
  return `http://${annotated}`;
}

/** One ready endpoint of a Service: its address and, when the slice names it, the pod behind it. */
export interface ServiceEndpoint {
  readonly ip: string;
  readonly pod: string | undefined;
}

const SERVICE_NAME_LABEL = "kubernetes.io/service-name";

/**
 * The ready endpoints of a Service as kube-proxy reads them: its EndpointSlices
 * (discovery.k8s.io/v1, labelled kubernetes.io/service-name; the v1 Endpoints API is deprecated
 * since Kubernetes 1.33). A `ready` condition left unset counts as ready, as the API documents and
 * kube-proxy does; a terminating endpoint is never ready. None when the Service has no slice yet.
 */
export async function readyServiceEndpoints(discovery: DiscoveryV1Api, metrics: Metrics | undefined, namespace: string, name: string): Promise<ServiceEndpoint[]> {
  try {
    const labelSelector = `${SERVICE_NAME_LABEL}=${name}`;
    const list = await kubeCall(metrics, "list", "endpointslices", () => discovery.listNamespacedEndpointSlice({ namespace, labelSelector }));
    return list.items.flatMap((slice) =>
      slice.endpoints
        .filter((e) => e.conditions?.ready !== false)
        .flatMap((e) => e.addresses.map((ip) => ({ ip, pod: e.targetRef?.kind === "Pod" ? e.targetRef.name : undefined }))),
    );
  } catch (err) {
    throw kubeError(`list EndpointSlices of Service ${namespace}/${name}`, err);
  }
}
