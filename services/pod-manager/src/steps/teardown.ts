import {
  deploymentName,
  isNotFound,
  kubeCall,
  kubeError,
  kubeGetOrNull,
  ownershipProblem,
  previewServiceName,
  productionServiceName,
  revisionOfSelector,
  type Logger,
} from "@baton/runtime";
import type { PodManagerDeps, Target } from "../deps.js";

// Tearing a revision down after a failed or aborted release. Each delete is safe to repeat (404 =
// already gone). Only what Baton made is deleted: the Deployment only when this release made it
// (a `<app>-<rev>` Baton refused as not its own stays), Services only when Baton made them for
// this app and while they select this revision, so a Service that serves another revision, or
// that is a team's own, is never touched.

export type ServiceTeardown = "deleted" | "absent" | "kept" | "not-ours";

export interface Teardown {
  readonly deployment: "deleted" | "absent" | "not-ours";
  readonly preview: ServiceTeardown;
  readonly production: ServiceTeardown;
}

export async function teardownRevision(deps: PodManagerDeps, t: Target, firstRelease: boolean, log: Logger): Promise<Teardown> {
  const deployment = await deleteDeployment(deps, t, log);
  const preview = await deleteServiceIfSelecting(deps, t, previewServiceName(t.app), log);
  const production = firstRelease ? await deleteServiceIfSelecting(deps, t, productionServiceName(t.app), log) : "kept";
  return { deployment, preview, production };
}

async function deleteDeployment(deps: PodManagerDeps, t: Target, log: Logger): Promise<"deleted" | "absent" | "not-ours"> {
  const name = deploymentName(t.app, t.revision);
  const existing = await kubeGetOrNull(deps.metrics, "deployments", `Deployment ${t.namespace}/${name}`, () =>
    deps.apps.readNamespacedDeployment({ name, namespace: t.namespace }),
  );
  if (existing === null) {
    log.info({ deployment: name }, "skipped: Deployment already gone");
    return "absent";
  }
  const notOurs = ownershipProblem("Deployment", existing, { app: t.app, releaseId: t.releaseId });
  if (notOurs !== undefined) {
    log.warn({ deployment: name, why: notOurs }, "kept Deployment: this release did not make it");
    return "not-ours";
  }
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

async function deleteServiceIfSelecting(deps: PodManagerDeps, t: Target, name: string, log: Logger): Promise<ServiceTeardown> {
  const svc = await kubeGetOrNull(deps.metrics, "services", `Service ${t.namespace}/${name}`, () =>
    deps.core.readNamespacedService({ name, namespace: t.namespace }),
  );
  if (svc === null) return "absent";
  const notOurs = ownershipProblem("Service", svc, { app: t.app });
  if (notOurs !== undefined) {
    log.info({ service: name, why: notOurs }, "kept Service: Baton did not make it for this app");
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
