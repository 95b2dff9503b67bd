import type { V1Service } from "@kubernetes/client-node";
import {
  LABEL_MANAGED_BY,
  MANAGED_BY,
  deploymentName,
  isNotFound,
  kubeCall,
  kubeError,
  previewServiceName,
  productionServiceName,
  revisionOfSelector,
  type Logger,
} from "@baton/runtime";
import type { PodManagerDeps, Target } from "../deps.js";

// Tearing a revision down after a failed or aborted release. Each delete is safe to repeat (404 =
// already gone). Services are deleted only while they select this revision, so a Service that
// serves another revision is never touched.

export type ServiceTeardown = "deleted" | "absent" | "kept" | "not-ours";

export interface Teardown {
  readonly deployment: "deleted" | "absent";
  readonly preview: ServiceTeardown;
  readonly production: ServiceTeardown;
}

export async function teardownRevision(deps: PodManagerDeps, t: Target, firstRelease: boolean, log: Logger): Promise<Teardown> {
  const deployment = await deleteDeployment(deps, t, log);
  const preview = await deleteServiceIfSelecting(deps, t, previewServiceName(t.app), false, log);
  const production = firstRelease ? await deleteServiceIfSelecting(deps, t, productionServiceName(t.app), true, log) : "kept";
  return { deployment, preview, production };
}

async function deleteDeployment(deps: PodManagerDeps, t: Target, log: Logger): Promise<"deleted" | "absent"> {
  const name = deploymentName(t.app, t.revision);
  try {
    await kubeCall(deps.metrics, "delete", "deployments", () =>
      deps.apps.deleteNamespacedDeployment({ name, namespace: t.namespace, propagationPolicy: "Background" }),
    );
    log.info({ deployment: name }, "deleted Deployment of the failed revision");
    return "deleted";
  } catch (err) {
    if (!isNotFound(err)) throw kubeError(`delete Deployment ${t.namespace}/${name}`, err);
    log.info({ deployment: name }, "skipped: Deployment already gone");
    return "absent";
  }
}

async function deleteServiceIfSelecting(
  deps: PodManagerDeps,
  t: Target,
  name: string,
  mustBeOurs: boolean,
  log: Logger,
): Promise<ServiceTeardown> {
  let svc: V1Service;
  try {
    svc = await kubeCall(deps.metrics, "get", "services", () => deps.core.readNamespacedService({ name, namespace: t.namespace }));
  } catch (err) {
    if (isNotFound(err)) return "absent";
    throw kubeError(`read Service ${t.namespace}/${name}`, err);
  }
  if (mustBeOurs && svc.metadata?.labels?.[LABEL_MANAGED_BY] !== MANAGED_BY) {
    log.info({ service: name }, "kept Service: Baton did not create it");
    return "not-ours";
  }
  const selected = revisionOfSelector(svc.spec?.selector, t.app);
  if (selected !== t.revision) {
    log.info({ service: name, selects: selected }, "kept Service: it does not select the failed revision");
    return "kept";
  }
  try {
    await kubeCall(deps.metrics, "delete", "services", () => deps.core.deleteNamespacedService({ name, namespace: t.namespace }));
    log.info({ service: name }, "deleted Service selecting the failed revision");
    return "deleted";
  } catch (err) {
    if (isNotFound(err)) return "absent";
    throw kubeError(`delete Service ${t.namespace}/${name}`, err);
  }
}
