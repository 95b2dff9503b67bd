/** What every controller gets: the API core (writes as SYSTEM), the ownership index, a logger. */
import { SYSTEM, type ApiCore } from "../api/core.js";
import { deleteObject, type DeleteOptions } from "../api/delete.js";
import { ApiError } from "../api/errors.js";
import type { ResourceType } from "../api/resources.js";
import { EventRecorder, type ObjectRef, type RecorderOptions } from "../events/recorder.js";
import { coreSink } from "../events/sinks.js";
import type { KObject } from "../kinds.js";
import type { OwnerIndex } from "./owners.js";

export const RKEY = {
  namespaces: "/namespaces",
  pods: "/pods",
  services: "/services",
  endpoints: "/endpoints",
  endpointslices: "discovery.k8s.io/endpointslices",
  nodes: "/nodes",
  deployments: "apps/deployments",
  replicasets: "apps/replicasets",
  crds: "apiextensions.k8s.io/customresourcedefinitions",
} as const;

export interface ControllerContext {
  readonly core: ApiCore;
  readonly owners: OwnerIndex;
  readonly log: (line: string) => void;
  /** An event recorder of kube-sim's controllers, as `component` (e.g. `deployment-controller`). */
  recorder(component: string, style?: RecorderOptions["style"]): EventRecorder;
}

/** A recorder factory writing into the API core. */
export function recorders(core: ApiCore, log: (line: string) => void): ControllerContext["recorder"] {
  const sink = coreSink(core);
  return (component, style) => new EventRecorder({ sink, component, log, ...(style ? { style } : {}) });
}

/** The reference an Event names its object by. */
export function refOf(obj: KObject): ObjectRef {
  const m = obj.metadata;
  return { apiVersion: obj.apiVersion ?? "v1", kind: obj.kind ?? "", name: m.name ?? "", ...(m.namespace ? { namespace: m.namespace } : {}), ...(m.uid ? { uid: m.uid } : {}) };
}

/** The resource type stored under `rkey` (the first served version of a custom resource). */
export function typeOf(core: ApiCore, rkey: string): ResourceType {
  const rt = core.registry.storedTypes().find((t) => t.rkey === rkey);
  if (!rt) throw new Error(`kube-sim: no resource type is stored under ${rkey}`);
  return rt;
}

export function nsKey(namespace: string, name: string): string {
  return `${namespace}/${name}`;
}

export function splitKey(key: string): [namespace: string, name: string] {
  const i = key.indexOf("/");
  return [key.slice(0, i), key.slice(i + 1)];
}

/** Deletes an object as the simulator; already gone (404) counts as done. */
export function deleteAsSystem(core: ApiCore, rt: ResourceType, obj: KObject, opts: DeleteOptions = {}): void {
  try {
    deleteObject(core, rt, obj.metadata.namespace ?? "", obj.metadata.name ?? "", opts, SYSTEM);
  } catch (err) {
    if (err instanceof ApiError && err.code === 404) return;
    throw err;
  }
}

/** Is the object marked for deletion? */
export function isDeleting(obj: KObject): boolean {
  return obj.metadata.deletionTimestamp !== undefined;
}
