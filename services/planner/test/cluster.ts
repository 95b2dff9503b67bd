// A kube-sim cluster for the planner's tests, driven through the real client-node.
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { AppsV1Api, CoreV1Api, KubeConfig } from "@kubernetes/client-node";
import { startKubeSim, type AuditEntry, type KubeSim } from "@baton/kube-sim";
import { LABEL_APP, LABEL_MANAGED_BY, MANAGED_BY, revisionSelector } from "@baton/runtime";

export interface Cluster {
  readonly sim: KubeSim;
  readonly kubeconfigPath: string;
  readonly core: CoreV1Api;
  readonly apps: AppsV1Api;
  close(): Promise<void>;
}

export async function startCluster(...namespaces: string[]): Promise<Cluster> {
  const sim = await startKubeSim();
  const dir = await mkdtemp(join(tmpdir(), "baton-planner-"));
  const kubeconfigPath = join(dir, "kubeconfig");
  await sim.writeKubeconfig(kubeconfigPath);
  const kc = new KubeConfig();
  kc.loadFromString(sim.kubeconfig());
  const core = kc.makeApiClient(CoreV1Api);
  for (const name of namespaces) await core.createNamespace({ body: { metadata: { name } } });
  return {
    sim,
    kubeconfigPath,
    core,
    apps: kc.makeApiClient(AppsV1Api),
    async close() {
      await sim.close();
      await rm(dir, { recursive: true, force: true });
    },
  };
}

/**
 * An app already live at `rev`, as Baton leaves it: its Deployment `<app>-<rev>` and the production
 * Service selecting it (`madeBy: null` on either: without Baton's ownership label, a team's own).
 */
export async function liveRevision(
  c: Cluster,
  ns: string,
  app: string,
  rev: number,
  madeBy: { deployment?: null; service?: null } = {},
): Promise<void> {
  const labels = revisionSelector(app, rev);
  const baton = { [LABEL_MANAGED_BY]: MANAGED_BY };
  await c.apps.createNamespacedDeployment({
    namespace: ns,
    body: {
      metadata: { name: `${app}-${rev}`, namespace: ns, labels: madeBy.deployment === null ? labels : { ...labels, ...baton } },
      spec: {
        replicas: 1,
        selector: { matchLabels: labels },
        template: { metadata: { labels }, spec: { containers: [{ name: "app", image: "baton.dev/demo-app:1.0.0", ports: [{ containerPort: 8080 }] }] } },
      },
    },
  });
  await c.core.createNamespacedService({
    namespace: ns,
    body: {
      metadata: { name: app, namespace: ns, labels: madeBy.service === null ? { team: "shop" } : { [LABEL_APP]: app, ...baton } },
      spec: { selector: labels, ports: [{ port: 8080, targetPort: 8080 }] },
    },
  });
}

/** The sequence number of the last audited write: writes after it are the ones a test looks at. */
export function auditMark(sim: KubeSim): number {
  return sim.audit().at(-1)?.seq ?? 0;
}

/** Writes made by clients after `mark`, not by the simulator's own controllers. */
export function clientWrites(sim: KubeSim, mark: number): AuditEntry[] {
  return sim.audit().filter((e) => e.seq > mark && e.user !== "system:kube-sim");
}
