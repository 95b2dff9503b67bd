/**
 * The endpointslice mirroring controller: the Endpoints a user writes by hand for a Service
 * without a selector are mirrored into EndpointSlices (managed-by
 * `endpointslicemirroring-controller.k8s.io`, owned by the Endpoints), so a consumer of slices
 * (kube-proxy) sees them, as in a real cluster. `addresses` become ready endpoints,
 * `notReadyAddresses` unready ones. Endpoints labelled `endpointslice.kubernetes.io/skip-mirror:
 * "true"`, and those of Services with a selector (the endpoints controller's own), are not mirrored.
 */
import type { EndpointAddress, Endpoints, Service, SliceEndpoint } from "../kinds.js";
import type { StoreEvent } from "../store/store.js";
import { nsKey, RKEY, splitKey, typeOf, type ControllerContext } from "./context.js";
import { WorkQueue } from "./queue.js";
import { deleteSlices, inheritedLabels, managedSliceKey, ownerRef, writeSlices, type EndpointGroup } from "./slices.js";

export const MIRRORING_CONTROLLER = "endpointslicemirroring-controller.k8s.io";
const SKIP_MIRROR = "endpointslice.kubernetes.io/skip-mirror";

function toEndpoint(a: EndpointAddress, ready: boolean): SliceEndpoint {
  return { addresses: [a.ip], conditions: { ready }, ...(a.nodeName ? { nodeName: a.nodeName } : {}), ...(a.targetRef ? { targetRef: a.targetRef } : {}) };
}

function groupsOf(ep: Endpoints): EndpointGroup[] {
  const groups = new Map<string, EndpointGroup>();
  for (const subset of ep.subsets ?? []) {
    const ports = (subset.ports ?? []).map((p) => ({ name: p.name ?? "", port: p.port, protocol: p.protocol ?? "TCP" }));
    const key = JSON.stringify(ports);
    let group = groups.get(key);
    if (!group) groups.set(key, (group = { ports, endpoints: [] }));
    for (const a of subset.addresses ?? []) group.endpoints.push(toEndpoint(a, true));
    for (const a of subset.notReadyAddresses ?? []) group.endpoints.push(toEndpoint(a, false));
  }
  return [...groups.values()].filter((g) => g.endpoints.length > 0);
}

export function endpointSliceMirroringController(ctx: ControllerContext): { stop(): void } {
  const { core } = ctx;
  const sliceType = typeOf(core, RKEY.endpointslices);

  function reconcile(key: string): void {
    const [namespace, name] = splitKey(key);
    const svc = core.store.get(RKEY.services, namespace, name) as Service | undefined;
    const ep = core.store.get(RKEY.endpoints, namespace, name) as Endpoints | undefined;
    const mirrored = svc && ep && !svc.spec.selector && ep.metadata.labels?.[SKIP_MIRROR] !== "true" && !ep.metadata.deletionTimestamp;
    if (!mirrored) return deleteSlices(core, sliceType, namespace, name, MIRRORING_CONTROLLER);
    const set = { namespace, serviceName: name, managedBy: MIRRORING_CONTROLLER, labels: inheritedLabels(ep), owner: ownerRef("Endpoints", ep), placeholder: false };
    writeSlices(core, sliceType, set, groupsOf(ep));
  }

  const queue = new WorkQueue("endpointslice-mirroring-controller", reconcile, ctx.log);
  const onEvent = (ev: StoreEvent): void => {
    const meta = ev.object.metadata;
    if (ev.rkey === RKEY.services || ev.rkey === RKEY.endpoints) queue.add(nsKey(meta.namespace ?? "", meta.name ?? ""));
    else if (ev.rkey === RKEY.endpointslices) {
      const service = managedSliceKey(ev, MIRRORING_CONTROLLER);
      if (service) queue.add(service);
    }
  };
  const unsubscribe = core.store.subscribe(onEvent);
  for (const ep of core.store.iterate(RKEY.endpoints)) queue.add(nsKey(ep.metadata.namespace ?? "", ep.metadata.name ?? ""));
  return {
    stop() {
      unsubscribe();
      queue.stop();
    },
  };
}
