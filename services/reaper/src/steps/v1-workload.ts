import { PatchStrategy, setHeaderOptions, type V1Pod } from "@kubernetes/client-node";
import { assertOwned, isConflict, isNotFound, kubeCall, kubeError, kubeGetOrNull, revisionSelector, type Metrics } from "@baton/runtime";
import type { ReaperDeps } from "../deps.js";

// Idempotent steps on v1's workload: each checks, then acts, and treats "already gone" as done,
// so a redelivered event finds its earlier work and writes nothing more.

export interface Kube {
  readonly deps: Pick<ReaperDeps, "apps" | "core">;
  readonly metrics: Metrics;
}

export type ScaleOutcome = "scaled" | "already-zero" | "gone";

/**
 * Checks that v1's Deployment is Baton's, of this app, before anything is scaled or deleted
 * (NotOwnedError otherwise: a label can change while v1 waits or drains). "gone": nothing to check.
 */
export async function checkOurs(k: Kube, namespace: string, name: string, app: string): Promise<"ours" | "gone"> {
  const d = await kubeGetOrNull(k.metrics, "deployments", `Deployment ${namespace}/${name}`, () => k.deps.apps.readNamespacedDeployment({ name, namespace }));
  if (d === null) return "gone";
  assertOwned("Deployment", d, { app });
  return "ours";
}

/**
 * Scales a Deployment to zero with ONE merge patch on its scale subresource; skips when already 0.
 * The patch carries the resourceVersion it read, so two deliveries of the same event handled at
 * once (a duplicate, a second replica) cannot both scale: the later one gets 409 and reads again.
 */
export async function scaleToZero(k: Kube, namespace: string, name: string): Promise<ScaleOutcome> {
  const read = await readScale(k, namespace, name);
  if (read === "gone") return "gone";
  if (read.replicas === 0) return "already-zero";
  try {
    await kubeCall(k.metrics, "patch", "deployments/scale", () =>
      k.deps.apps.patchNamespacedDeploymentScale(
        { name, namespace, body: { metadata: { resourceVersion: read.resourceVersion }, spec: { replicas: 0 } } },
        setHeaderOptions("Content-Type", PatchStrategy.MergePatch),
      ),
    );
  } catch (err) {
    if (isNotFound(err)) return "gone";
    if (isConflict(err)) {
      const again = await readScale(k, namespace, name);
      if (again === "gone") return "gone";
      if (again.replicas === 0) return "already-zero";
    }
    throw kubeError(`scale Deployment ${namespace}/${name} to 0`, err);
  }
  return "scaled";
}

async function readScale(k: Kube, namespace: string, name: string): Promise<{ replicas: number; resourceVersion: string | undefined } | "gone"> {
  try {
    const scale = await kubeCall(k.metrics, "get", "deployments/scale", () => k.deps.apps.readNamespacedDeploymentScale({ name, namespace }));
    return { replicas: scale.spec?.replicas ?? 0, resourceVersion: scale.metadata?.resourceVersion };
  } catch (err) {
    if (isNotFound(err)) return "gone";
    throw kubeError(`read the scale of Deployment ${namespace}/${name}`, err);
  }
}

/** The label selector of one revision's pods, as text. */
export function revisionLabelSelector(app: string, revision: number): string {
  return Object.entries(revisionSelector(app, revision))
    .map(([key, value]) => `${key}=${value}`)
    .join(",");
}

/** The pods of one revision that still exist (terminating ones included). */
export async function revisionPods(k: Kube, namespace: string, app: string, revision: number): Promise<V1Pod[]> {
  try {
    const list = await kubeCall(k.metrics, "list", "pods", () =>
      k.deps.core.listNamespacedPod({ namespace, labelSelector: revisionLabelSelector(app, revision) }),
    );
    return list.items;
  } catch (err) {
    throw kubeError(`list the pods of ${app} revision ${revision} in ${namespace}`, err);
  }
}

/** Deletes each pod with grace period 0; returns how many this call deleted (404 = already gone). */
export async function forceDeletePods(k: Kube, namespace: string, pods: readonly V1Pod[]): Promise<number> {
  const deleted = await Promise.all(
    pods.map(async (pod) => {
      const name = pod.metadata?.name;
      if (name === undefined) return false;
      try {
        await kubeCall(k.metrics, "delete", "pods", () =>
          k.deps.core.deleteNamespacedPod({ name, namespace, gracePeriodSeconds: 0 }),
        );
        return true;
      } catch (err) {
        if (isNotFound(err)) return false;
        throw kubeError(`force-delete pod ${namespace}/${name}`, err);
      }
    }),
  );
  return deleted.filter(Boolean).length;
}

/** Deletes a Deployment (its ReplicaSets follow in the background); false when it was already gone. */
export async function deleteDeployment(k: Kube, namespace: string, name: string): Promise<boolean> {
  try {
    await kubeCall(k.metrics, "delete", "deployments", () =>
      k.deps.apps.deleteNamespacedDeployment({ name, namespace, propagationPolicy: "Background" }),
    );
    return true;
  } catch (err) {
    if (isNotFound(err)) return false;
    throw kubeError(`delete Deployment ${namespace}/${name}`, err);
  }
}

/** Whether a Deployment still exists (for messages; errors read as "unknown"). */
export async function deploymentExists(k: Kube, namespace: string, name: string): Promise<boolean | undefined> {
  try {
    await kubeCall(k.metrics, "get", "deployments", () => k.deps.apps.readNamespacedDeployment({ name, namespace }));
    return true;
  } catch (err) {
    return isNotFound(err) ? false : undefined;
  }
}
