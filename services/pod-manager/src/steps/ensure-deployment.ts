import type { V1Deployment, V1PodTemplateSpec } from "@kubernetes/client-node";
import type { ReleaseState } from "@baton/contracts";
import {
  LABEL_APP,
  LABEL_MANAGED_BY,
  LABEL_RELEASE,
  LABEL_REVISION,
  MANAGED_BY,
  assertOwned,
  deploymentName,
  isConflict,
  kubeCall,
  kubeError,
  kubeGetOrNull,
  revisionSelector,
  type Logger,
} from "@baton/runtime";
import type { PodManagerDeps, Target } from "../deps.js";
import { podTemplateFor } from "./pod-template.js";

type Spec = NonNullable<ReleaseState["spec"]>;

export type EnsureResult = "created" | "exists";

/**
 * Creates the Deployment `<app>-<rev>` of the new revision. Safe to repeat: 409 AlreadyExists
 * means an earlier attempt created it — checked to be this release's, else the step fails for good
 * (NotOwnedError: the release stops, and nothing touches that Deployment).
 */
export async function ensureDeployment(
  deps: PodManagerDeps,
  t: Target,
  spec: Spec,
  previousRevision: number | null,
  log: Logger,
): Promise<EnsureResult> {
  const name = deploymentName(t.app, t.revision);
  const previous = previousRevision === null ? null : await previousTemplate(deps, t, previousRevision, log);
  const body = deploymentBody(t, spec, podTemplateFor(spec, t.revision, previous));
  try {
    await kubeCall(deps.metrics, "create", "deployments", () => deps.apps.createNamespacedDeployment({ namespace: t.namespace, body }));
    log.info({ deployment: name, replicas: spec.replicas }, "created Deployment");
    return "created";
  } catch (err) {
    if (!isConflict(err)) throw kubeError(`create Deployment ${t.namespace}/${name}`, err);
  }
  await checkOurs(deps, t, name);
  log.info({ deployment: name }, "skipped create: Deployment already exists (an earlier attempt made it)");
  return "exists";
}

/** The Deployment as Baton writes it: labelled with the app, revision, release and manager. */
export function deploymentBody(t: Target, spec: Spec, template: V1PodTemplateSpec): V1Deployment {
  const name = deploymentName(t.app, t.revision);
  return {
    apiVersion: "apps/v1",
    kind: "Deployment",
    metadata: {
      name,
      namespace: t.namespace,
      labels: {
        [LABEL_APP]: t.app,
        [LABEL_REVISION]: String(t.revision),
        [LABEL_MANAGED_BY]: MANAGED_BY,
        [LABEL_RELEASE]: t.releaseId,
      },
      annotations: { [LABEL_RELEASE]: t.releaseId },
    },
    spec: {
      replicas: spec.replicas,
      selector: { matchLabels: revisionSelector(t.app, t.revision) },
      template,
    },
  };
}

/** v1's pod template; null (with a warning) when v1's Deployment is gone: v2 is then built as a first release. */
async function previousTemplate(deps: PodManagerDeps, t: Target, previous: number, log: Logger): Promise<V1PodTemplateSpec | null> {
  const name = deploymentName(t.app, previous);
  const d = await kubeGetOrNull(deps.metrics, "deployments", `Deployment ${t.namespace}/${name} (v1's pod template)`, () =>
    deps.apps.readNamespacedDeployment({ name, namespace: t.namespace }),
  );
  if (d !== null) return d.spec?.template ?? null;
  log.warn({ deployment: name }, "v1's Deployment is gone: building v2's pods from the request alone");
  return null;
}

async function checkOurs(deps: PodManagerDeps, t: Target, name: string): Promise<void> {
  let existing: V1Deployment;
  try {
    existing = await kubeCall(deps.metrics, "get", "deployments", () => deps.apps.readNamespacedDeployment({ name, namespace: t.namespace }));
  } catch (err) {
    throw kubeError(`read Deployment ${t.namespace}/${name} after 409`, err);
  }
  assertOwned("Deployment", existing, { app: t.app, releaseId: t.releaseId });
}
