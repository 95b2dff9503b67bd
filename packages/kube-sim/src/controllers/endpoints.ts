/**
 * The endpoints controller: one Endpoints object per Service with a selector, named like the
 * Service, listing the matching pods that have an IP: Ready pods in `addresses`, the others in
 * `notReadyAddresses` (terminating pods in neither), one subset per distinct set of resolved
 * ports. Services without a selector keep whatever Endpoints their owner writes.
 */
import { SYSTEM, type ApiCore } from "../api/core.js";
import type { EndpointAddress, EndpointPort, Endpoints, EndpointSubset, KObject, Pod, Service } from "../kinds.js";
import { deepEqual } from "../machinery/objects.js";
import { fromMap, matchesLabels } from "../machinery/selectors.js";
import type { StoreEvent } from "../store/store.js";
import { deleteAsSystem, nsKey, RKEY, splitKey, typeOf, type ControllerContext } from "./context.js";
import { isPodReady } from "./pods.js";
import { WorkQueue } from "./queue.js";

/** The service's ports resolved against one pod (named targetPorts by the container port's name). */
export function resolvePorts(svc: Service, pod: Pod): EndpointPort[] | undefined {
  const out: EndpointPort[] = [];
  for (const p of svc.spec.ports ?? []) {
    const target = p.targetPort ?? p.port;
    let port: number | undefined = typeof target === "number" ? target : undefined;
    if (typeof target === "string") {
      const named = pod.spec.containers.flatMap((c) => c.ports ?? []).find((cp) => cp.name === target);
      port = named?.containerPort ?? (/^\d+$/.test(target) ? Number(target) : undefined);
    }
    if (port === undefined) continue;
    out.push({ ...(p.name ? { name: p.name } : {}), port, protocol: p.protocol ?? "TCP" });
  }
  return out.length > 0 || (svc.spec.ports ?? []).length === 0 ? out : undefined;
}

function addressOf(pod: Pod): EndpointAddress {
  const meta = pod.metadata;
  return { ip: pod.status?.podIP ?? "", ...(pod.spec.nodeName ? { nodeName: pod.spec.nodeName } : {}), targetRef: { kind: "Pod", namespace: meta.namespace ?? "", name: meta.name ?? "", uid: meta.uid ?? "" } };
}

const byIp = (a: EndpointAddress, b: EndpointAddress) => (a.ip < b.ip ? -1 : a.ip > b.ip ? 1 : 0);

export function subsetsFor(svc: Service, pods: Iterable<KObject>): EndpointSubset[] {
  const selector = fromMap(svc.spec.selector);
  const groups = new Map<string, EndpointSubset>();
  for (const obj of pods) {
    const pod = obj as Pod;
    if (!pod.status?.podIP || pod.metadata.deletionTimestamp || !matchesLabels(selector, pod.metadata.labels)) continue;
    const ports = resolvePorts(svc, pod);
    if (!ports) continue;
    const key = JSON.stringify(ports);
    let subset = groups.get(key);
    if (!subset) groups.set(key, (subset = { ports }));
    const ready = isPodReady(pod) || svc.spec.publishNotReadyAddresses === true;
    const list = ready ? (subset.addresses ??= []) : (subset.notReadyAddresses ??= []);
    list.push(addressOf(pod));
  }
  return [...groups.values()].map((s) => {
    s.addresses?.sort(byIp);
    s.notReadyAddresses?.sort(byIp);
    return s.ports?.length ? s : { ...(s.addresses ? { addresses: s.addresses } : {}), ...(s.notReadyAddresses ? { notReadyAddresses: s.notReadyAddresses } : {}) };
  });
}

export function endpointsController(ctx: ControllerContext): { stop(): void } {
  const { core } = ctx;
  const epType = typeOf(core, RKEY.endpoints);

  function reconcile(key: string): void {
    const [namespace, name] = splitKey(key);
    const svc = core.store.get(RKEY.services, namespace, name) as Service | undefined;
    const existing = core.store.get(RKEY.endpoints, namespace, name) as Endpoints | undefined;
    if (!svc) {
      if (existing) deleteAsSystem(core, epType, existing);
      return;
    }
    if (!svc.spec.selector || svc.metadata.deletionTimestamp) return;
    const subsets = subsetsFor(svc, core.store.iterate(RKEY.pods, namespace));
    const labels = svc.metadata.labels;
    const body: Endpoints = { apiVersion: "v1", kind: "Endpoints", metadata: { name, namespace, ...(labels ? { labels } : {}) } };
    if (subsets.length > 0) body.subsets = subsets;
    if (!existing) {
      core.create(epType, namespace, body, SYSTEM);
      return;
    }
    if (deepEqual(existing.subsets, body.subsets) && deepEqual(existing.metadata.labels, labels)) return;
    core.update(epType, namespace, name, { ...body, metadata: { ...existing.metadata, labels } }, SYSTEM);
  }

  const queue = new WorkQueue("endpoints-controller", reconcile, ctx.log);
  const onEvent = (ev: StoreEvent): void => {
    const meta = ev.object.metadata;
    // Endpoints only count when deleted (to be made again), as for the real controller: an Endpoints
    // object of no Service (one a user manages) is left alone.
    if (ev.rkey === RKEY.services || (ev.rkey === RKEY.endpoints && ev.type === "DELETED")) queue.add(nsKey(meta.namespace ?? "", meta.name ?? ""));
    else if (ev.rkey === RKEY.pods && podChangeMatters(ev)) for (const key of servicesSelecting(core, ev.object, ev.old)) queue.add(key);
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

/** Only IP, readiness, phase, node, labels and deletion change a pod's endpoints. */
export function podChangeMatters(ev: StoreEvent): boolean {
  if (ev.type !== "MODIFIED" || !ev.old) return true;
  const a = ev.object as Pod;
  const b = ev.old as Pod;
  return (
    a.status?.podIP !== b.status?.podIP ||
    isPodReady(a) !== isPodReady(b) ||
    a.status?.phase !== b.status?.phase ||
    a.spec.nodeName !== b.spec.nodeName ||
    a.metadata.deletionTimestamp !== b.metadata.deletionTimestamp ||
    !deepEqual(a.metadata.labels, b.metadata.labels)
  );
}

/** Keys (`namespace/name`) of the Services whose selector matches the pod now or matched it before. */
export function servicesSelecting(core: ApiCore, pod: KObject, old: KObject | undefined): string[] {
  const namespace = pod.metadata.namespace ?? "";
  const keys: string[] = [];
  for (const svc of core.store.iterate(RKEY.services, namespace)) {
    const selector = (svc as Service).spec.selector;
    if (!selector) continue;
    const reqs = fromMap(selector);
    if (matchesLabels(reqs, pod.metadata.labels) || (old && matchesLabels(reqs, old.metadata.labels))) keys.push(nsKey(namespace, svc.metadata.name ?? ""));
  }
  return keys;
}
