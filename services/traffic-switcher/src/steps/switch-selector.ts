import { PatchStrategy, setHeaderOptions, type V1Service } from "@kubernetes/client-node";
import {
  ConflictError,
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

/** created / patched: the selector was written; marked: only the switch-back mark was; unchanged: nothing. */
export type SelectorChange = "created" | "patched" | "marked" | "unchanged";

/**
 * Set on the production Service by a switch back (the release id): writing it changes the
 * Service's resourceVersion even when the selector already selects v1, so a switch to v2 that read
 * the Service before (a race with the abort) fails its precondition instead of landing late.
 */
export const SWITCHED_BACK_BY = "baton.dev/switched-back-by";

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
  mark?: Record<string, string>,
): Promise<SelectorChange> {
  for (let attempt = 0; attempt < 3; attempt++) {
    try {
      return await pointProductionAt(kube, await readProductionService(kube, namespace, app), namespace, app, revision, port, mark);
    } catch (err) {
      if (!(err instanceof ServiceChanged)) throw err; // created or changed meanwhile (another replica): read again
    }
  }
  throw new ServiceChanged(`Service ${namespace}/${productionServiceName(app)} kept changing while it was being pointed at revision ${revision}`);
}

/** The production Service `<app>` as it is now (with its resourceVersion), or null. */
export function readProductionService(kube: KubePorts, namespace: string, app: string): Promise<V1Service | null> {
  return readService(kube, namespace, productionServiceName(app));
}

/** The Service changed (or was created) since it was read: a write conditional on that read was refused. */
export class ServiceChanged extends ConflictError {
  override name = "ServiceChanged";
}

/**
 * Points the production Service at one revision, conditionally on `current` — the Service as read
 * (null: it did not exist): the patch carries its resourceVersion and the create fails if one was
 * made meanwhile. Either refusal throws {@link ServiceChanged}, so a caller that checked something
 * else together with the read (the release still promoting) can read and check again.
 */
export async function pointProductionAt(
  kube: KubePorts,
  current: V1Service | null,
  namespace: string,
  app: string,
  revision: number,
  port: number,
  mark?: Record<string, string>,
): Promise<SelectorChange> {
  if (current !== null) {
    assertOwned("Service", current, { app }); // only a Service Baton made for this app (NotOwnedError otherwise)
    return switchSelector(kube, current, revisionSelector(app, revision), mark);
  }
  const name = productionServiceName(app);
  const body = productionService(namespace, app, revision, port);
  if (mark !== undefined && body.metadata !== undefined) body.metadata.annotations = { ...mark };
  try {
    await kubeCall(kube.metrics, "create", "services", () => kube.core.createNamespacedService({ namespace, body }));
    return "created";
  } catch (err) {
    if (isConflict(err)) throw new ServiceChanged(`Service ${namespace}/${name} was created meanwhile`, { cause: err });
    throw kubeError(`create Service ${namespace}/${name}`, err);
  }
}

/**
 * Merge-patches a Service's selector to exactly `want` (and its annotations to include `mark`),
 * unless it already is. The patch carries the resourceVersion read: it fails with
 * {@link ServiceChanged} if the Service changed since.
 */
export async function switchSelector(kube: KubePorts, svc: V1Service, want: Record<string, string>, mark?: Record<string, string>): Promise<SelectorChange> {
  const have = svc.spec?.selector ?? {};
  const annotations = svc.metadata?.annotations ?? {};
  const selected = sameSelector(have, want);
  const marked = mark === undefined || Object.entries(mark).every(([k, v]) => annotations[k] === v);
  if (selected && marked) return "unchanged";
  const namespace = svc.metadata?.namespace ?? "";
  const name = svc.metadata?.name ?? "";
  const body = {
    metadata: { resourceVersion: svc.metadata?.resourceVersion, ...(marked ? {} : { annotations: mark }) },
    ...(selected ? {} : { spec: { selector: selectorPatch(have, want) } }),
  };
  try {
    await kubeCall(kube.metrics, "patch", "services", () =>
      kube.core.patchNamespacedService({ name, namespace, body }, setHeaderOptions("Content-Type", PatchStrategy.MergePatch)),
    );
    return selected ? "marked" : "patched";
  } catch (err) {
    if (isConflict(err)) throw new ServiceChanged(`Service ${namespace}/${name} changed since it was read`, { cause: err });
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
