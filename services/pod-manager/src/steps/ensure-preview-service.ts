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
  previewServiceName,
  revisionSelector,
  sameSelector,
  selectorPatch,
  type Logger,
} from "@baton/runtime";
import type { PodManagerDeps, Target } from "../deps.js";

// The preview Service `<app>-preview` selects the candidate revision; the validator's traffic goes
// through it. Safe to repeat: created when missing, patched only when its selector or port differ,
// and only when Baton made it for this app (NotOwnedError otherwise: the release stops).

export type PreviewResult = "created" | "patched" | "unchanged";

export async function ensurePreviewService(deps: PodManagerDeps, t: Target, port: number, log: Logger): Promise<PreviewResult> {
  const name = previewServiceName(t.app);
  const existing = await readService(deps, t.namespace, name);
  if (existing === null) {
    const created = await createService(deps, t, port);
    if (created) {
      log.info({ service: name, revision: t.revision }, "created preview Service");
      return "created";
    }
    return ensurePreviewService(deps, t, port, log); // created by someone else meanwhile: check it
  }
  assertOwned("Service", existing, { app: t.app });
  const patch = previewPatch(existing, t, port);
  if (patch === null) {
    log.info({ service: name, revision: t.revision }, "skipped: preview Service already selects the revision");
    return "unchanged";
  }
  await kubeCall(deps.metrics, "patch", "services", () =>
    deps.core.patchNamespacedService({ name, namespace: t.namespace, body: patch }, setHeaderOptions("Content-Type", PatchStrategy.MergePatch)),
  ).catch((err: unknown) => {
    throw kubeError(`patch Service ${t.namespace}/${name}`, err);
  });
  log.info({ service: name, revision: t.revision }, "pointed preview Service at the revision");
  return "patched";
}

/** The merge patch that makes the Service select the revision on the port, or null when it already does. */
export function previewPatch(svc: V1Service, t: Target, port: number): Record<string, unknown> | null {
  const want = revisionSelector(t.app, t.revision);
  const have = svc.spec?.selector ?? {};
  const selectorSame = sameSelector(have, want);
  const ports = svc.spec?.ports ?? [];
  const portSame = ports.length === 1 && ports[0]?.port === port && String(ports[0]?.targetPort ?? port) === String(port);
  if (selectorSame && portSame) return null;
  return { spec: { selector: selectorPatch(have, want), ...(portSame ? {} : { ports: [{ name: "http", port, targetPort: port, protocol: "TCP" }] }) } };
}

function readService(deps: PodManagerDeps, namespace: string, name: string): Promise<V1Service | null> {
  return kubeGetOrNull(deps.metrics, "services", `Service ${namespace}/${name}`, () => deps.core.readNamespacedService({ name, namespace }));
}

/** Creates the preview Service; false when it appeared meanwhile (409). */
async function createService(deps: PodManagerDeps, t: Target, port: number): Promise<boolean> {
  const name = previewServiceName(t.app);
  const body: V1Service = {
    apiVersion: "v1",
    kind: "Service",
    metadata: { name, namespace: t.namespace, labels: { [LABEL_APP]: t.app, [LABEL_MANAGED_BY]: MANAGED_BY } },
    spec: { selector: revisionSelector(t.app, t.revision), ports: [{ name: "http", port, targetPort: port, protocol: "TCP" }] },
  };
  try {
    await kubeCall(deps.metrics, "create", "services", () => deps.core.createNamespacedService({ namespace: t.namespace, body }));
    return true;
  } catch (err) {
    if (isConflict(err)) return false;
    throw kubeError(`create Service ${t.namespace}/${name}`, err);
  }
}
