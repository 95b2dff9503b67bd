import { CustomObjectsApi, PatchStrategy, setHeaderOptions } from "@kubernetes/client-node";
import { kubeCall, type Metrics } from "@baton/runtime";
import { GROUP, PLURAL, VERSION, type ReleaseObject } from "./release-object.js";

// The planner's finalizer on a Release: while it is there, a deleted Release stays (with its
// deletionTimestamp set) until the planner has ended its release: aborted (rolled back) when it was
// still running, or nothing at all when it had ended. Added before the release is submitted,
// removed when the deletion is done.

export const FINALIZER = "baton.dev/release";

export function hasFinalizer(obj: ReleaseObject): boolean {
  return (obj.metadata.finalizers ?? []).includes(FINALIZER);
}

/** Adds or removes the finalizer: a merge patch of the whole list with the object's resourceVersion (409 if it moved on). */
export async function setFinalizer(api: CustomObjectsApi, metrics: Metrics, obj: ReleaseObject, present: boolean): Promise<ReleaseObject> {
  const others = (obj.metadata.finalizers ?? []).filter((f) => f !== FINALIZER);
  const finalizers = present ? [...others, FINALIZER] : others;
  const { name, namespace, resourceVersion } = obj.metadata;
  return kubeCall(metrics, "patch", "releases", () =>
    api.patchNamespacedCustomObject(
      { group: GROUP, version: VERSION, namespace, plural: PLURAL, name, body: { metadata: { finalizers, resourceVersion } } },
      setHeaderOptions("Content-Type", PatchStrategy.MergePatch),
    ),
  ) as Promise<ReleaseObject>;
}
