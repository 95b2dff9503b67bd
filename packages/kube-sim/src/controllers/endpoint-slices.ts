/**
 * The endpointslice controller (discovery.k8s.io/v1), beside the Endpoints one: for every Service
 * with a selector, EndpointSlices listing the matching pods that have an IP and have not finished,
 * as kube-controller-manager writes them: `conditions.serving` = the pod is Ready,
 * `conditions.terminating` = it is being deleted, `conditions.ready` = serving and not terminating
 * (always true with publishNotReadyAddresses), `nodeName`, a `targetRef` to the pod, the Service's
 * ports resolved against the pod. A Service without endpoints keeps one empty slice. Services
 * without a selector get none from here (see endpoint-slice-mirroring.ts).
 */
import type { Pod, Service, SliceEndpoint } from "../kinds.js";
import { fromMap, matchesLabels } from "../machinery/selectors.js";
import type { StoreEvent } from "../store/store.js";
import { nsKey, RKEY, splitKey, typeOf, type ControllerContext } from "./context.js";
import { podChangeMatters, resolvePorts, servicesSelecting } from "./endpoints.js";
import { isPodReady } from "./pods.js";
import { WorkQueue } from "./queue.js";
import { deleteSlices, inheritedLabels, managedSliceKey, ownerRef, writeSlices, type EndpointGroup } from "./slices.js";

export const SLICE_CONTROLLER = "endpointslice-controller.k8s.io";

function toEndpoint(svc: Service, pod: Pod): SliceEndpoint {
  const serving = isPodReady(pod);
  const terminating = pod.metadata.deletionTimestamp !== undefined;
  const ready = svc.spec.publishNotReadyAddresses === true || (serving && !terminating);
  const meta = pod.metadata;
  return {
    addresses: [pod.status?.podIP ?? ""],
    conditions: { ready, serving, terminating },
    ...(pod.spec.nodeName ? { nodeName: pod.spec.nodeName } : {}),
    targetRef: { kind: "Pod", namespace: meta.namespace ?? "", name: meta.name ?? "", uid: meta.uid ?? "" },
  };
}

function isFinished(pod: Pod): boolean {
  return pod.status?.phase === "Succeeded" || pod.status?.phase === "Failed";
}

/** The Service's endpoints grouped by resolved port set. */
export function endpointGroups(svc: Service, pods: Iterable<Pod>): EndpointGroup[] {
  const selector = fromMap(svc.spec.selector);
  const groups = new Map<string, EndpointGroup>();
  for (const pod of pods) {
    if (!pod.status?.podIP || isFinished(pod) || !matchesLabels(selector, pod.metadata.labels)) continue;
    const resolved = resolvePorts(svc, pod);
    if (!resolved) continue;
    const ports = resolved.map((p) => ({ name: p.name ?? "", port: p.port, protocol: p.protocol }));
    const key = JSON.stringify(ports);
    let group = groups.get(key);
    if (!group) groups.set(key, (group = { ports, endpoints: [] }));
    group.endpoints.push(toEndpoint(svc, pod));
  }
  return [...groups.values()];
}

export function endpointSliceController(ctx: ControllerContext): { stop(): void } {
  const { core } = ctx;
  const sliceType = typeOf(core, RKEY.endpointslices);

  function reconcile(key: string): void {
    const [namespace, name] = splitKey(key);
    const svc = core.store.get(RKEY.services, namespace, name) as Service | undefined;
    if (!svc) return deleteSlices(core, sliceType, namespace, name, SLICE_CONTROLLER);
    if (!svc.spec.selector || svc.metadata.deletionTimestamp) return;
    const groups = endpointGroups(svc, core.store.iterate(RKEY.pods, namespace) as Iterable<Pod>);
    const set = { namespace, serviceName: name, managedBy: SLICE_CONTROLLER, labels: inheritedLabels(svc), owner: ownerRef("Service", svc), placeholder: true };
    writeSlices(core, sliceType, set, groups);
  }

  const queue = new WorkQueue("endpointslice-controller", reconcile, ctx.log);
  const onEvent = (ev: StoreEvent): void => {
    const meta = ev.object.metadata;
    if (ev.rkey === RKEY.services) queue.add(nsKey(meta.namespace ?? "", meta.name ?? ""));
    else if (ev.rkey === RKEY.endpointslices) {
      const service = managedSliceKey(ev, SLICE_CONTROLLER);
      if (service) queue.add(service);
    } else if (ev.rkey === RKEY.pods && podChangeMatters(ev)) for (const key of servicesSelecting(core, ev.object, ev.old)) queue.add(key);
  };
  const unsubscribe = core.store.subscribe(onEvent);
  for (const svc of core.store.iterate(RKEY.services)) queue.add(nsKey(svc.metadata.namespace ?? "", svc.metadata.name ?? ""));
  return {
    stop() {
      unsubscribe();
      queue.stop();
    },
  };
}
