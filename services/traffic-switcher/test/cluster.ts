// A kube-sim cluster for the traffic-switcher's tests, driven through the real client-node:
// namespaces, revisions (Deployments of the demo app), Services, and the client writes the audit saw.
import { mkdtemp, rm } from "node:fs/promises";
import { get } from "node:http";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { AppsV1Api, CoreV1Api, KubeConfig, PatchStrategy, setHeaderOptions } from "@kubernetes/client-node";
import { startKubeSim, type AuditEntry, type KubeSim } from "@baton/kube-sim";
import { LABEL_APP, LABEL_MANAGED_BY, LABEL_REVISION, MANAGED_BY, revisionSelector } from "@baton/runtime";
import { waitFor } from "@baton/runtime/testing";

export interface Cluster {
  readonly sim: KubeSim;
  readonly kubeconfigPath: string;
  readonly core: CoreV1Api;
  readonly apps: AppsV1Api;
  close(): Promise<void>;
}

export async function startCluster(namespace = "shop"): Promise<Cluster> {
  const sim = await startKubeSim();
  const dir = await mkdtemp(join(tmpdir(), "baton-ts-"));
  const kubeconfigPath = join(dir, "kubeconfig");
  await sim.writeKubeconfig(kubeconfigPath);
  const kc = new KubeConfig();
  kc.loadFromString(sim.kubeconfig());
  const core = kc.makeApiClient(CoreV1Api);
  const apps = kc.makeApiClient(AppsV1Api);
  await core.createNamespace({ body: { metadata: { name: namespace } } });
  return {
    sim,
    kubeconfigPath,
    core,
    apps,
    async close() {
      await sim.close();
      await rm(dir, { recursive: true, force: true });
    },
  };
}

/**
 * Deployment `<app>-<rev>` of the demo app at `version`, as the pod-manager would create it
 * (`madeBy: null`: without Baton's ownership label, as a team's own Deployment).
 */
export async function createRevision(
  c: Cluster,
  ns: string,
  app: string,
  rev: number,
  opts: { replicas: number; version: string; env?: Record<string, string>; madeBy?: null },
): Promise<void> {
  const labels = revisionSelector(app, rev);
  const owned = opts.madeBy === null ? labels : { ...labels, [LABEL_MANAGED_BY]: MANAGED_BY };
  const env = Object.entries(opts.env ?? {}).map(([name, value]) => ({ name, value }));
  await c.apps.createNamespacedDeployment({
    namespace: ns,
    body: {
      metadata: { name: `${app}-${rev}`, namespace: ns, labels: owned },
      spec: {
        replicas: opts.replicas,
        selector: { matchLabels: labels },
        template: {
          metadata: { labels },
          spec: {
            containers: [
              {
                name: "app",
                image: `baton.dev/demo-app:${opts.version}`,
                ports: [{ containerPort: 8080 }],
                env,
                readinessProbe: { httpGet: { path: "/healthz", port: 8080 }, periodSeconds: 1 },
              },
            ],
          },
        },
      },
    },
  });
}

/** A Service of the app its selector names, as Baton makes it (`labels`: a team's own labels instead). */
export async function createService(c: Cluster, ns: string, name: string, selector: Record<string, string>, labels?: Record<string, string>): Promise<void> {
  const made = labels ?? { [LABEL_APP]: selector[LABEL_APP] ?? name, [LABEL_MANAGED_BY]: MANAGED_BY };
  await c.core.createNamespacedService({
    namespace: ns,
    body: { metadata: { name, namespace: ns, labels: made }, spec: { selector, ports: [{ port: 8080, targetPort: 8080 }] } },
  });
}

export async function scaleRevision(c: Cluster, ns: string, app: string, rev: number, replicas: number): Promise<void> {
  await c.apps.patchNamespacedDeploymentScale(
    { name: `${app}-${rev}`, namespace: ns, body: { spec: { replicas } } },
    setHeaderOptions("Content-Type", PatchStrategy.MergePatch),
  );
}

/** Waits until `n` pods of the revision are Ready. */
export async function readyPods(c: Cluster, ns: string, app: string, rev: number, n: number): Promise<void> {
  await waitFor(`${n} ready pods of ${app}-${rev}`, async () => {
    const list = await c.core.listNamespacedPod({ namespace: ns, labelSelector: `${LABEL_APP}=${app},${LABEL_REVISION}=${rev}` });
    const ready = list.items.filter((p) => p.status?.conditions?.some((x) => x.type === "Ready" && x.status === "True"));
    return ready.length >= n;
  });
}

export async function selectorOf(c: Cluster, ns: string, name: string): Promise<Record<string, string> | undefined> {
  return (await c.core.readNamespacedService({ name, namespace: ns })).spec?.selector;
}

/** Writes by clients (not by the simulator's own controllers) to one object. */
export function clientWrites(sim: KubeSim, resource: string, name: string): AuditEntry[] {
  return sim.audit().filter((e) => e.user !== "system:kube-sim" && e.resource === resource && e.name === name && !e.subresource);
}

/** What production answers on GET /version, through the Service's load-balancer address. */
export async function versionThrough(c: Cluster, ns: string, name: string): Promise<string> {
  const base = await waitFor(`a load-balancer address of Service ${name}`, async () => {
    const svc = await c.core.readNamespacedService({ name, namespace: ns });
    const ingress = svc.status?.loadBalancer?.ingress?.[0];
    const port = ingress?.ports?.[0]?.port;
    return ingress?.ip !== undefined && port !== undefined ? `http://${ingress.ip}:${port}` : undefined;
  });
  return getFresh(`${base}/version`);
}

/**
 * GET on a new TCP connection: the Service proxy, like kube-proxy, keeps a connection with the
 * endpoint it first picked, so only a new connection shows where the Service routes now.
 */
function getFresh(url: string): Promise<string> {
  return new Promise((resolve, reject) => {
    const req = get(url, { agent: false, timeout: 5000 }, (res) => {
      let body = "";
      res.setEncoding("utf8");
      res.on("data", (chunk: string) => (body += chunk));
      res.on("end", () => resolve(body.trim()));
      res.on("error", reject);
    });
    req.on("timeout", () => req.destroy(new Error(`GET ${url} timed out`)));
    req.on("error", reject);
  });
}
