import { PatchStrategy, setHeaderOptions, type V1Deployment } from "@kubernetes/client-node";
import { assertOwned, deploymentName, kubeCall, kubeError, kubeGetOrNull } from "@baton/runtime";
import type { KubePorts } from "../kube.js";
import { revisionPods } from "./endpoints.js";

export type PreviousReadiness =
  | { readonly kind: "gone"; readonly deployment: string }
  | { readonly kind: "checked"; readonly ready: number; readonly needed: number; readonly scaledUp: boolean };

/**
 * Before switching back: v1's Deployment must still exist with enough Ready pods. It is only
 * scaled down after DrainDue, which an abort excludes, so normally this only checks; a v1 found
 * at zero replicas is scaled back up to `replicas` first (only when Baton made it: NotOwnedError).
 */
export async function ensurePreviousReady(
  kube: KubePorts,
  namespace: string,
  app: string,
  previous: number,
  replicas: number,
  liveThreshold: number,
): Promise<PreviousReadiness> {
  const name = deploymentName(app, previous);
  const deployment = await readDeployment(kube, namespace, name);
  if (deployment === null) return { kind: "gone", deployment: name };
  let desired = deployment.spec?.replicas ?? 1;
  const scaledUp = desired === 0;
  if (scaledUp) {
    assertOwned("Deployment", deployment, { app });
    await scale(kube, namespace, name, replicas);
    desired = replicas;
  }
  const pods = await revisionPods(kube, namespace, app, previous);
  return { kind: "checked", ready: pods.ready, needed: Math.max(1, Math.min(liveThreshold, desired)), scaledUp };
}

function readDeployment(kube: KubePorts, namespace: string, name: string): Promise<V1Deployment | null> {
  return kubeGetOrNull(kube.metrics, "deployments", `Deployment ${namespace}/${name}`, () => kube.apps.readNamespacedDeployment({ name, namespace }));
}

async function scale(kube: KubePorts, namespace: string, name: string, replicas: number): Promise<void> {
  try {
    await kubeCall(kube.metrics, "patch", "deployments/scale", () =>
      kube.apps.patchNamespacedDeploymentScale(
        { name, namespace, body: { spec: { replicas } } },
        setHeaderOptions("Content-Type", PatchStrategy.MergePatch),
      ),
    );
  } catch (err) {
    throw kubeError(`scale Deployment ${namespace}/${name} back to ${replicas}`, err);
  }
}
