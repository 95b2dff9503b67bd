/**
 * Writing a Service's EndpointSlices, shared by the endpointslice controller (slices from the
 * pods a Service selects) and the mirroring controller (slices from hand-written Endpoints). As
 * kube-controller-manager: one slice per distinct port set, at most 100 endpoints each, named
 * `<service>-<random>`, labelled `kubernetes.io/service-name` and
 * `endpointslice.kubernetes.io/managed-by`, controller-owned; existing slices are updated in
 * place (only when something changed), surplus ones deleted.
 */
import { SYSTEM, type ApiCore } from "../api/core.js";
import type { ResourceType } from "../api/resources.js";
import type { EndpointSlice, KObject, OwnerReference, SliceEndpoint, SlicePort } from "../kinds.js";
import { deepEqual, stableStringify } from "../machinery/objects.js";
import type { StoreEvent } from "../store/store.js";
import { deleteAsSystem, nsKey, RKEY } from "./context.js";

export const SERVICE_NAME_LABEL = "kubernetes.io/service-name";
export const MANAGED_BY_LABEL = "endpointslice.kubernetes.io/managed-by";
export const MAX_ENDPOINTS_PER_SLICE = 100;

/** Endpoints that share one port set. */
export interface EndpointGroup {
  readonly ports: SlicePort[];
  readonly endpoints: SliceEndpoint[];
}

export interface SliceSet {
  readonly namespace: string;
  readonly serviceName: string;
  readonly managedBy: string;
  /** Labels copied from the owner (the two reserved ones are set on top). */
  readonly labels: Record<string, string>;
  readonly owner: OwnerReference;
  /** Keep one empty slice when there are no endpoints (the endpointslice controller does; mirroring does not). */
  readonly placeholder: boolean;
}

/** The slices of `serviceName` in `namespace` that `managedBy` wrote, by name. */
export function managedSlices(core: ApiCore, namespace: string, serviceName: string, managedBy: string): EndpointSlice[] {
  const out: EndpointSlice[] = [];
  for (const obj of core.store.iterate(RKEY.endpointslices, namespace)) {
    const labels = obj.metadata.labels;
    if (labels?.[SERVICE_NAME_LABEL] === serviceName && labels[MANAGED_BY_LABEL] === managedBy) out.push(obj as EndpointSlice);
  }
  return out.sort((a, b) => ((a.metadata.name ?? "") < (b.metadata.name ?? "") ? -1 : 1));
}

function firstAddress(ep: SliceEndpoint): string {
  return ep.addresses[0] ?? "";
}

/** The slices the groups need: port sets in a stable order, endpoints by address, 100 a slice. */
function desiredSlices(groups: readonly EndpointGroup[], placeholder: boolean): EndpointGroup[] {
  const out: EndpointGroup[] = [];
  const sorted = [...groups].sort((a, b) => (stableStringify(a.ports) < stableStringify(b.ports) ? -1 : 1));
  for (const g of sorted) {
    const endpoints = [...g.endpoints].sort((a, b) => (firstAddress(a) < firstAddress(b) ? -1 : firstAddress(a) > firstAddress(b) ? 1 : 0));
    for (let i = 0; i < endpoints.length; i += MAX_ENDPOINTS_PER_SLICE) out.push({ ports: g.ports, endpoints: endpoints.slice(i, i + MAX_ENDPOINTS_PER_SLICE) });
  }
  if (out.length === 0 && placeholder) out.push({ ports: [], endpoints: [] });
  return out;
}

function body(set: SliceSet, slice: EndpointGroup, existing?: EndpointSlice): EndpointSlice {
  const labels = { ...set.labels, [SERVICE_NAME_LABEL]: set.serviceName, [MANAGED_BY_LABEL]: set.managedBy };
  const metadata = existing
    ? { ...existing.metadata, labels, ownerReferences: [set.owner] }
    : { generateName: `${set.serviceName}-`, namespace: set.namespace, labels, ownerReferences: [set.owner] };
  return { apiVersion: "discovery.k8s.io/v1", kind: "EndpointSlice", metadata, addressType: "IPv4", endpoints: slice.endpoints, ports: slice.ports };
}

function unchanged(a: EndpointSlice, b: EndpointSlice): boolean {
  return deepEqual(a.endpoints ?? [], b.endpoints ?? []) && deepEqual(a.ports ?? [], b.ports ?? []) && deepEqual(a.metadata.labels, b.metadata.labels) && deepEqual(a.metadata.ownerReferences, b.metadata.ownerReferences);
}

/** Makes the stored slices of `set` say `groups`, reusing slices of the same port set. */
export function writeSlices(core: ApiCore, sliceType: ResourceType, set: SliceSet, groups: readonly EndpointGroup[]): void {
  const existing = managedSlices(core, set.namespace, set.serviceName, set.managedBy);
  const unused = new Set(existing);
  for (const want of desiredSlices(groups, set.placeholder)) {
    const key = stableStringify(want.ports);
    const reuse = [...unused].find((s) => stableStringify(s.ports ?? []) === key) ?? [...unused].find((s) => (s.endpoints ?? []).length === 0);
    if (!reuse) {
      core.create(sliceType, set.namespace, body(set, want), SYSTEM);
      continue;
    }
    unused.delete(reuse);
    const next = body(set, want, reuse);
    if (!unchanged(next, reuse)) core.update(sliceType, set.namespace, reuse.metadata.name ?? "", next, SYSTEM);
  }
  for (const s of unused) deleteAsSystem(core, sliceType, s);
}

/** Deletes every slice `managedBy` wrote for `serviceName`. */
export function deleteSlices(core: ApiCore, sliceType: ResourceType, namespace: string, serviceName: string, managedBy: string): void {
  for (const s of managedSlices(core, namespace, serviceName, managedBy)) deleteAsSystem(core, sliceType, s);
}

/** The key (`namespace/service`) of a slice `managedBy` wrote, when `ev` is about one. */
export function managedSliceKey(ev: StoreEvent, managedBy: string): string | undefined {
  const meta = ev.object.metadata;
  if (ev.rkey !== RKEY.endpointslices || meta.labels?.[MANAGED_BY_LABEL] !== managedBy) return undefined;
  const service = meta.labels[SERVICE_NAME_LABEL];
  return service ? nsKey(meta.namespace ?? "", service) : undefined;
}

/** A controller owner reference to `obj` of kind `kind` (apiVersion v1). */
export function ownerRef(kind: string, obj: KObject): OwnerReference {
  return { apiVersion: "v1", kind, name: obj.metadata.name ?? "", uid: obj.metadata.uid ?? "", controller: true, blockOwnerDeletion: true };
}

/** Labels of `obj` minus the two reserved slice labels. */
export function inheritedLabels(obj: KObject): Record<string, string> {
  const out = { ...obj.metadata.labels };
  delete out[SERVICE_NAME_LABEL];
  delete out[MANAGED_BY_LABEL];
  return out;
}
