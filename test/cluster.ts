import { randomBytes } from "node:crypto";
import { readFile } from "node:fs/promises";
import { resolve } from "node:path";
import {
  CoreV1Api,
  KubeConfig,
  KubernetesObjectApi,
  RbacAuthorizationV1Api,
  type KubernetesObject,
} from "@kubernetes/client-node";
import { parseAllDocuments } from "yaml";
import { startKubeSim, type KubeSim } from "@baton/kube-sim";

// The cluster an end-to-end test runs against, from one parameter (envtest's way: the same test
// against a real API server by pointing it at another kubeconfig):
// - unset BATON_TEST_KUBECONFIG: a fresh kube-sim per test, namespace "shop";
// - BATON_TEST_KUBECONFIG=<admin kubeconfig>: that cluster (the real control plane `scripts/k8s up`
//   starts, with kube-sim's node joined; or your own, `scripts/test --cluster`), a namespace of its
//   own per test, and every stage its own ServiceAccount bound to exactly deploy/'s Roles, so a
//   missing or excessive permission fails the test.

export const STAGE_NAMES = ["planner", "pod-manager", "validator", "traffic-switcher", "reaper"] as const;
export type StageName = (typeof STAGE_NAMES)[number];

/** One write to the cluster's API by one of Baton's identities (not by the cluster's own controllers). */
export interface ClusterWrite {
  readonly user: string;
  readonly verb: string;
  readonly resource: string;
  readonly subresource?: string;
  readonly namespace?: string;
  readonly name?: string;
  /** When the API server received it (ISO 8601). */
  readonly time: string;
  /** The HTTP status of the answer (failed writes are recorded too). */
  readonly code?: number;
  /** The request body and patch type (kube-sim records them; a real API server's Metadata-level audit does not). */
  readonly body?: unknown;
  readonly patchType?: string;
}

export interface TestCluster {
  readonly kind: "kube-sim" | "kubernetes";
  /** The admin kubeconfig (YAML). */
  readonly kubeconfig: string;
  /** The test's namespace, created. */
  readonly namespace: string;
  /** The kubeconfig a stage runs with (its own least-privilege identity on a real cluster). */
  kubeconfigOf(stage: StageName): string;
  /** Lets a stage read these Secrets of the test's namespace (what a deploy/ overlay adds for post-release activities). */
  grantSecrets(stage: StageName, names: readonly string[]): Promise<void>;
  /** Writes by Baton's stages, oldest first; null when the cluster's audit log cannot be read. */
  writes(): Promise<ClusterWrite[] | null>;
  /** The kube-sim itself, when it is one (its audit and extras). */
  readonly sim: KubeSim | null;
  close(): Promise<void>;
}

const ROOT = resolve(import.meta.dirname, "..");
const SYSTEM_NAMESPACE = "baton-system";

/** True when the tests run against a real API server (BATON_TEST_KUBECONFIG). */
export function onRealCluster(): boolean {
  return (process.env.BATON_TEST_KUBECONFIG ?? "") !== "";
}

export async function openCluster(): Promise<TestCluster> {
  return onRealCluster() ? openKubernetes(process.env.BATON_TEST_KUBECONFIG as string) : openKubeSim();
}

async function openKubeSim(): Promise<TestCluster> {
  const sim = await startKubeSim();
  const kubeconfig = sim.kubeconfig();
  const kc = new KubeConfig();
  kc.loadFromString(kubeconfig);
  await kc.makeApiClient(CoreV1Api).createNamespace({ body: { metadata: { name: "shop" } } });
  return {
    kind: "kube-sim",
    kubeconfig,
    namespace: "shop",
    sim,
    kubeconfigOf: () => kubeconfig,
    grantSecrets: async () => undefined,
    writes: async () => sim.audit().filter((a) => a.user !== "system:kube-sim").map((a) => ({ ...a, user: a.user ?? "" })),
    close: () => sim.close(),
  };
}

async function openKubernetes(path: string): Promise<TestCluster> {
  const kubeconfig = await readFile(path, "utf8");
  const kc = new KubeConfig();
  kc.loadFromString(kubeconfig);
  const core = kc.makeApiClient(CoreV1Api);
  const namespace = `shop-${randomBytes(3).toString("hex")}`;
  await core.createNamespace({ body: { metadata: { name: namespace, labels: { "baton.dev/test": "e2e" } } } });
  await ensureStageIdentities(kc);
  await applyManifests(kc, await stageRoles(namespace));
  const tokens = new Map<StageName, string>();
  for (const stage of STAGE_NAMES) tokens.set(stage, await tokenOf(kc, stage));
  const stageConfigs = new Map(STAGE_NAMES.map((s) => [s, withToken(kc, `baton-${s}`, tokens.get(s) as string)]));
  const rbac = kc.makeApiClient(RbacAuthorizationV1Api);
  const auditLog = process.env.BATON_TEST_AUDIT_LOG;
  return {
    kind: "kubernetes",
    kubeconfig,
    namespace,
    sim: null,
    kubeconfigOf: (stage) => stageConfigs.get(stage) as string,
    async grantSecrets(stage, names) {
      const name = `baton-${stage}-secrets`;
      const labels = { "app.kubernetes.io/part-of": "baton" };
      await rbac.createNamespacedRole({ namespace, body: { metadata: { name, labels }, rules: [{ apiGroups: [""], resources: ["secrets"], verbs: ["get"], resourceNames: [...names] }] } });
      await rbac.createNamespacedRoleBinding({
        namespace,
        body: {
          metadata: { name, labels },
          roleRef: { apiGroup: "rbac.authorization.k8s.io", kind: "Role", name },
          subjects: [{ kind: "ServiceAccount", name: `baton-${stage}`, namespace: SYSTEM_NAMESPACE }],
        },
      });
    },
    writes: async () => (auditLog === undefined ? null : readAudit(auditLog, namespace)),
    async close() {
      await core.deleteNamespace({ name: namespace }).catch(() => undefined);
    },
  };
}

/** The stages' ServiceAccounts in baton-system, and the planner's one cluster-scoped read. */
async function ensureStageIdentities(kc: KubeConfig): Promise<void> {
  const objects: KubernetesObject[] = [{ apiVersion: "v1", kind: "Namespace", metadata: { name: SYSTEM_NAMESPACE } }];
  for (const stage of STAGE_NAMES) objects.push({ apiVersion: "v1", kind: "ServiceAccount", metadata: { name: `baton-${stage}`, namespace: SYSTEM_NAMESPACE } });
  objects.push(...(await manifests("deploy/base/planner-cluster-rbac.yaml")));
  await applyManifests(kc, objects, { ignoreExisting: true });
}

/** deploy/rbac/namespaced's Roles and RoleBindings, as an overlay puts them in one target namespace. */
async function stageRoles(namespace: string): Promise<KubernetesObject[]> {
  return (await manifests("deploy/rbac/namespaced/rbac.yaml")).map((o) => ({ ...o, metadata: { ...o.metadata, namespace } }));
}

async function manifests(file: string): Promise<KubernetesObject[]> {
  const text = await readFile(resolve(ROOT, file), "utf8");
  return parseAllDocuments(text).map((d) => d.toJSON() as KubernetesObject).filter((o) => o !== null && o.kind !== undefined);
}

async function applyManifests(kc: KubeConfig, objects: readonly KubernetesObject[], opts: { ignoreExisting?: boolean } = {}): Promise<void> {
  const api = KubernetesObjectApi.makeApiClient(kc);
  for (const o of objects) {
    await api.create(o).catch((err: unknown) => {
      if (opts.ignoreExisting && (err as { code?: number }).code === 409) return;
      throw err;
    });
  }
}

/** A short-lived token of a stage's ServiceAccount (TokenRequest), as a projected token would be. */
async function tokenOf(kc: KubeConfig, stage: StageName): Promise<string> {
  const core = kc.makeApiClient(CoreV1Api);
  const r = await core.createNamespacedServiceAccountToken({
    name: `baton-${stage}`,
    namespace: SYSTEM_NAMESPACE,
    body: { spec: { audiences: [], expirationSeconds: 3600 } },
  });
  const token = r.status?.token;
  if (!token) throw new Error(`no token was issued for ServiceAccount ${SYSTEM_NAMESPACE}/baton-${stage}`);
  return token;
}

/** The admin kubeconfig's cluster, with a bearer token user instead. */
function withToken(admin: KubeConfig, user: string, token: string): string {
  const cluster = admin.getCurrentCluster();
  if (!cluster) throw new Error("the admin kubeconfig names no current cluster");
  const kc = new KubeConfig();
  kc.loadFromOptions({
    clusters: [cluster],
    users: [{ name: user, token }],
    contexts: [{ name: user, cluster: cluster.name, user }],
    currentContext: user,
  });
  return kc.exportConfig();
}

interface AuditEvent {
  readonly stage: string;
  readonly verb: string;
  readonly requestReceivedTimestamp: string;
  readonly user: { readonly username: string };
  readonly objectRef?: { readonly resource?: string; readonly subresource?: string; readonly namespace?: string; readonly name?: string };
  readonly responseStatus?: { readonly code?: number };
}

/** Writes by the stages' ServiceAccounts in one namespace, from the API server's audit log. */
async function readAudit(path: string, namespace: string): Promise<ClusterWrite[]> {
  const text = await readFile(path, "utf8");
  const out: ClusterWrite[] = [];
  for (const line of text.split("\n")) {
    if (!line.includes(namespace)) continue;
    const e = JSON.parse(line) as AuditEvent;
    if (e.stage !== "ResponseComplete") continue;
    if (!e.user.username.startsWith(`system:serviceaccount:${SYSTEM_NAMESPACE}:`)) continue;
    if (e.objectRef?.namespace !== namespace) continue;
    const r = e.objectRef;
    out.push({
      user: e.user.username,
      verb: e.verb,
      time: e.requestReceivedTimestamp,
      resource: r.resource ?? "",
      ...(r.subresource ? { subresource: r.subresource } : {}),
      namespace,
      ...(r.name ? { name: r.name } : {}),
      code: e.responseStatus?.code ?? 0,
    });
  }
  return out;
}
