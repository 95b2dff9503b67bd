import { PatchStrategy, setHeaderOptions, type V1Service } from "@kubernetes/client-node";
import {
  LABEL_APP,
  LABEL_MANAGED_BY,
  MANAGED_BY,
  assertOwned,
  isConflict,
  kubeCall,
  kubeError,
  kubeGetOrNull,
  productionServiceName,
  revisionSelector,
  sameSelector,
  selectorPatch,
} from "@baton/runtime";
import type { KubePorts } from "../kube.js";

export type SelectorChange = "created" | "patched" | "unchanged";

/**
 * Points the production Service `<app>` at one revision: creates it on an app's first release,
 * otherwise merge-patches its selector — only when Baton made it for this app (NotOwnedError
 * otherwise). Safe to repeat: when the selector already matches it returns early, so a retry after
 * a crash never patches twice.
 */
export async function ensureProductionService(
  kube: KubePorts,
  namespace: string,
  app: string,
  revision: number,
  port: number,
): Promise<SelectorChange> {
  const name = productionServiceName(app);
  const current = await readService(kube, namespace, name);
  if (current !== null) {
    assertOwned("Service", current, { app });
    return switchSelector(kube, current, revisionSelector(app, revision));
  }
  try {
    await kubeCall(kube.metrics, "create", "services", () =>
      kube.core.createNamespacedService({ namespace, body: productionService(namespace, app, revision, port) }),
    );
    return "created";
  } catch (err) {
    if (!isConflict(err)) throw kubeError(`create Service ${namespace}/${name}`, err);
    // Created meanwhile (another replica): make sure it selects this revision.
    const now = await readService(kube, namespace, name);
    if (now === null) throw kubeError(`create Service ${namespace}/${name}`, err);
    assertOwned("Service", now, { app });
    return switchSelector(kube, now, revisionSelector(app, revision));
  }
}

/** Merge-patches a Service's selector to exactly `want`, unless it already is. */
export async function switchSelector(kube: KubePorts, svc: V1Service, want: Record<string, string>): Promise<SelectorChange> {
  const have = svc.spec?.selector ?? {};
  if (sameSelector(have, want)) return "unchanged";
  const namespace = svc.metadata?.namespace ?? "";
  const name = svc.metadata?.name ?? "";
  // The resourceVersion makes the patch fail with 409 if the Service changed since it was read.
  const body = { metadata: { resourceVersion: svc.metadata?.resourceVersion }, spec: { selector: selectorPatch(have, want) } };
  try {
    await kubeCall(kube.metrics, "patch", "services", () =>
      kube.core.patchNamespacedService({ name, namespace, body }, setHeaderOptions("Content-Type", PatchStrategy.MergePatch)),
    );
    return "patched";
  } catch (err) {
    throw kubeError(`patch the selector of Service ${namespace}/${name}`, err);
  }
}

function readService(kube: KubePorts, namespace: string, name: string): Promise<V1Service | null> {
  return kubeGetOrNull(kube.metrics, "services", `Service ${namespace}/${name}`, () => kube.core.readNamespacedService({ name, namespace }));
}

function productionService(namespace: string, app: string, revision: number, port: number): V1Service {
  return {
    apiVersion: "v1",
    kind: "Service",
    metadata: { name: productionServiceName(app), namespace, labels: { [LABEL_APP]: app, [LABEL_MANAGED_BY]: MANAGED_BY } },
    spec: {
      type: "ClusterIP",
      selector: revisionSelector(app, revision),
      ports: [{ name: "http", protocol: "TCP", port, targetPort: port }],
    },
  };
}
