import { kubeGetOrNull } from "@baton/runtime";
import type { Reason } from "@baton/contracts";
import type { KubePorts } from "../kube.js";

/** Why the release cannot go to this namespace because the cluster has no such namespace, or undefined. */
export async function namespaceMissing(kube: KubePorts, namespace: string): Promise<Reason | undefined> {
  const found = await kubeGetOrNull(kube.metrics, "namespaces", `Namespace ${namespace}`, () => kube.core.readNamespace({ name: namespace }));
  if (found !== null) return undefined;
  return {
    path: "namespace",
    rule: "exists",
    message: `namespace: "${namespace}" does not exist in the cluster (create it first)`,
  };
}
