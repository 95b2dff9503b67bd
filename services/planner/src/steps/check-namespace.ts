import { isNotFound, kubeCall, kubeError } from "@baton/runtime";
import type { Reason } from "@baton/contracts";
import type { KubePorts } from "../kube.js";

/** Why the release cannot go to this namespace because the cluster has no such namespace, or undefined. */
export async function namespaceMissing(kube: KubePorts, namespace: string): Promise<Reason | undefined> {
  try {
    await kubeCall(kube.metrics, "get", "namespaces", () => kube.core.readNamespace({ name: namespace }));
    return undefined;
  } catch (err) {
    if (!isNotFound(err)) throw kubeError(`read Namespace ${namespace}`, err);
    return {
      path: "namespace",
      rule: "exists",
      message: `namespace: "${namespace}" does not exist in the cluster (create it first)`,
    };
  }
}
