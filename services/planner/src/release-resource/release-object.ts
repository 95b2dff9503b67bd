import { eventType, releaseIdOfObject, requestedViaRelease, type Reason } from "@baton/contracts";

// A Release custom resource (baton.dev/v1alpha1) as the watcher reads it, and the two things
// derived from it: the release id of a generation, and the intake body.

export const GROUP = "baton.dev";
export const VERSION = "v1alpha1";
export const PLURAL = "releases";

export interface ReleaseCondition {
  readonly type: "Ready" | "Progressing";
  readonly status: "True" | "False" | "Unknown";
  readonly reason: string;
  readonly message: string;
  readonly lastTransitionTime: string;
  readonly observedGeneration: number;
}

export interface ReleaseStatus {
  readonly phase: string;
  readonly releaseId: string;
  readonly revision?: number;
  readonly observedGeneration: number;
  readonly message?: string;
  readonly conditions: readonly ReleaseCondition[];
}

export interface ReleaseObject {
  readonly apiVersion?: string;
  readonly kind?: string;
  readonly metadata: {
    readonly name: string;
    readonly namespace: string;
    readonly uid: string;
    readonly generation?: number;
    readonly resourceVersion?: string;
    readonly deletionTimestamp?: string;
    readonly finalizers?: readonly string[];
  };
  readonly spec?: Record<string, unknown>;
  readonly status?: Partial<ReleaseStatus>;
}

/**
 * The release id of one generation of a Release: `cr-<first 8 of uid>-<generation>`. The same
 * object at the same generation always gives the same id, so a watcher that restarts (or a
 * second planner replica) publishes a request the intake already knows, and nothing starts twice.
 */
export function releaseIdOf(obj: ReleaseObject): string {
  return releaseIdOfObject(obj.metadata.uid, obj.metadata.generation ?? 1);
}

export type IntakeBody = { ok: true; body: Record<string, unknown> } | { ok: false; reasons: Reason[] };

/**
 * The intake body of a Release: its spec, in the Release's own namespace, with its release id.
 * A spec naming another namespace is refused here: who may create Releases in a namespace may
 * release into that namespace only.
 */
export function intakeBodyOf(obj: ReleaseObject): IntakeBody {
  const spec = obj.spec ?? {};
  const ns = obj.metadata.namespace;
  if (spec.namespace !== undefined && spec.namespace !== ns) {
    const message = `must be the Release's own namespace "${ns}" or left out (got ${JSON.stringify(spec.namespace)})`;
    return { ok: false, reasons: [{ path: "spec.namespace", rule: "release_namespace", message }] };
  }
  const m = obj.metadata;
  const via = requestedViaRelease({ namespace: ns, name: m.name, uid: m.uid, generation: m.generation ?? 1 });
  // A CloudEvent: its source and id name the Release object, which every stage then records Kubernetes Events on.
  const data = { ...spec, namespace: ns, releaseId: releaseIdOf(obj) };
  return { ok: true, body: { specversion: "1.0", type: eventType("ReleaseRequested"), datacontenttype: "application/json", ...via, data } };
}

export function keyOf(obj: ReleaseObject): string {
  return `${obj.metadata.namespace}/${obj.metadata.name}`;
}
