import type { RequestedVia } from "./events.js";
import type { ReleaseState } from "./state.js";

// A Release object (baton.dev/v1alpha1, deploy/crd) and the release it starts. The planner's
// watcher sends a Release's request to the intake as a CloudEvent whose source is the object's API
// path and whose id is its uid and generation; the release keeps them (requestedVia), so every
// stage can name the Release object — to record Kubernetes Events on it — without reading it.

export const RELEASE_GROUP = "baton.dev";
export const RELEASE_VERSION = "v1alpha1";

export interface ReleaseObjectRef {
  readonly namespace: string;
  readonly name: string;
  readonly uid: string;
  readonly generation: number;
}

/** The release id of one generation of a Release: `cr-<first 8 of uid>-<generation>`. */
export function releaseIdOfObject(uid: string, generation: number): string {
  const uid8 = uid.replace(/[^A-Za-z0-9]/g, "").slice(0, 8).toLowerCase();
  return `cr-${uid8}-${generation}`;
}

/** The CloudEvent attributes a Release's request is sent with. */
export function requestedViaRelease(o: ReleaseObjectRef): RequestedVia {
  return { source: `/apis/${RELEASE_GROUP}/${RELEASE_VERSION}/namespaces/${o.namespace}/releases/${o.name}`, id: `${o.uid}/${o.generation}`, subject: o.name };
}

const SOURCE = new RegExp(`^/apis/${RELEASE_GROUP.replace(".", "\\.")}/${RELEASE_VERSION}/namespaces/([a-z0-9-]+)/releases/([a-z0-9.-]+)$`);
const ID = /^([0-9a-fA-F-]{8,64})\/(\d+)$/;

/**
 * The Release object a release was started from, or null. Only a request whose release id is that
 * object's (cr-<uid>-<generation>) and whose namespace is the release's counts: a publisher that
 * copies the attributes cannot point a release at another namespace's object.
 */
export function releaseObjectOf(state: Pick<ReleaseState, "releaseId" | "namespace" | "requestedVia">): ReleaseObjectRef | null {
  const via = state.requestedVia;
  const s = via === undefined ? null : SOURCE.exec(via.source);
  const i = via === undefined ? null : ID.exec(via.id);
  if (!s || !i || s[1] !== state.namespace) return null;
  const ref = { namespace: s[1] ?? "", name: s[2] ?? "", uid: i[1] ?? "", generation: Number(i[2]) };
  return releaseIdOfObject(ref.uid, ref.generation) === state.releaseId ? ref : null;
}
