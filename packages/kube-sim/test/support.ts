/** Shared set-up of the kube-sim tests: a simulator and client-node clients for it. */
import * as k8s from "@kubernetes/client-node";
import { startKubeSim, type KubeSim, type KubeSimOptions } from "@baton/kube-sim";
import { SERVICE_ADDRESS_ANNOTATION } from "@baton/runtime";
import { waitFor } from "@baton/runtime/testing";

export { waitFor };

export interface SimClients {
  sim: KubeSim;
  kc: k8s.KubeConfig;
  core: k8s.CoreV1Api;
  apps: k8s.AppsV1Api;
  custom: k8s.CustomObjectsApi;
  ext: k8s.ApiextensionsV1Api;
}

export async function startSim(opts: KubeSimOptions = {}): Promise<SimClients> {
  const sim = await startKubeSim(opts);
  const kc = new k8s.KubeConfig();
  kc.loadFromString(sim.kubeconfig());
  return {
    sim,
    kc,
    core: kc.makeApiClient(k8s.CoreV1Api),
    apps: kc.makeApiClient(k8s.AppsV1Api),
    custom: kc.makeApiClient(k8s.CustomObjectsApi),
    ext: kc.makeApiClient(k8s.ApiextensionsV1Api),
  };
}

/** The Status a failed call answered with: its code, reason and message (a plain-text answer: its text, no reason). */
export async function failure(call: Promise<unknown>): Promise<{ code: number; reason: string; message: string; details?: Record<string, unknown> }> {
  try {
    await call;
  } catch (err) {
    if (!(err instanceof k8s.ApiException)) throw err;
    // A real API server answers paths of groups it does not serve with a plain "404 page not found".
    if (typeof err.body === "string" && !err.body.trimStart().startsWith("{")) return { code: err.code, reason: "", message: err.body.trim() };
    const body: unknown = typeof err.body === "string" ? JSON.parse(err.body) : err.body;
    const status = body as { code: number; reason: string; message: string; kind: string; details?: Record<string, unknown> };
    if (status.kind !== "Status") throw new Error(`not a Status: ${JSON.stringify(body)}`);
    return { code: err.code, reason: status.reason, message: status.message, ...(status.details ? { details: status.details } : {}) };
  }
  throw new Error("the call succeeded; a failure was expected");
}

export const merge = k8s.setHeaderOptions("Content-Type", k8s.PatchStrategy.MergePatch);
export const strategic = k8s.setHeaderOptions("Content-Type", k8s.PatchStrategy.StrategicMergePatch);

export const DEMO_IMAGE = "baton.dev/demo-app:1.0.0";

export function deployment(name: string, replicas: number, extra: { image?: string; labels?: Record<string, string>; readinessProbe?: k8s.V1Probe; grace?: number; env?: Record<string, string> } = {}): k8s.V1Deployment {
  const labels = extra.labels ?? { app: name };
  return {
    metadata: { name },
    spec: {
      replicas,
      selector: { matchLabels: labels },
      template: {
        metadata: { labels },
        spec: {
          ...(extra.grace !== undefined ? { terminationGracePeriodSeconds: extra.grace } : {}),
          containers: [
            {
              name: "app",
              image: extra.image ?? DEMO_IMAGE,
              ports: [{ name: "http", containerPort: 8080 }],
              ...(extra.env ? { env: Object.entries(extra.env).map(([name, value]) => ({ name, value })) } : {}),
              ...(extra.readinessProbe ? { readinessProbe: extra.readinessProbe } : {}),
            },
          ],
        },
      },
    },
  };
}

export function isReady(pod: k8s.V1Pod): boolean {
  return pod.status?.conditions?.some((c) => c.type === "Ready" && c.status === "True") ?? false;
}

/** The annotation kube-sim's proxy publishes a Service's loopback address in (`host:port`): Baton's. */
export const ADDRESS = SERVICE_ADDRESS_ANNOTATION;

/** The loopback port kube-sim's proxy gives Service `name`, once it is published on the Service. */
export async function publishedPort(c: SimClients, name: string, namespace = "default"): Promise<number> {
  return waitFor(`the proxy address of Service ${name}`, async () => {
    const svc = await c.core.readNamespacedService({ name, namespace });
    const address = svc.metadata?.annotations?.[ADDRESS];
    return address ? Number(address.slice(address.lastIndexOf(":") + 1)) : undefined;
  });
}

export const HEALTH_PROBE: k8s.V1Probe = { httpGet: { path: "/healthz", port: 8080 }, periodSeconds: 1 };
