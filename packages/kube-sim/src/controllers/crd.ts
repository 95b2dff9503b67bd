/**
 * CustomResourceDefinitions: a CRD's versions are served from the moment it is stored (the
 * registration is synchronous, so a custom resource can be created right after its CRD), its
 * status says Established, and deleting it deletes its custom resources first (the
 * `customresourcecleanup` finalizer).
 */
import { SYSTEM } from "../api/core.js";
import type { Crd } from "../kinds.js";
import { deepEqual, timestamp } from "../machinery/objects.js";
import { CRD_CLEANUP_FINALIZER } from "../strategies/crd.js";
import type { StoreEvent } from "../store/store.js";
import { deleteAsSystem, isDeleting, RKEY, typeOf, type ControllerContext } from "./context.js";
import { removeFinalizer } from "./garbage-collector.js";
import { WorkQueue } from "./queue.js";

const RETRY_MS = 250;

function crdStatus(crd: Crd): Record<string, unknown> {
  const now = timestamp();
  const old = (crd.status ?? {}) as { conditions?: { type: string; lastTransitionTime?: string }[]; storedVersions?: string[] };
  const since = (type: string) => old.conditions?.find((c) => c.type === type)?.lastTransitionTime ?? now;
  const storage = crd.spec.versions.find((v) => v.storage)?.name;
  const stored = [...new Set([...(old.storedVersions ?? []), ...(storage ? [storage] : [])])];
  return {
    conditions: [
      { type: "NamesAccepted", status: "True", lastTransitionTime: since("NamesAccepted"), reason: "NoConflicts", message: "no conflicts found" },
      { type: "Established", status: "True", lastTransitionTime: since("Established"), reason: "InitialNamesAccepted", message: "the initial names have been accepted" },
    ],
    acceptedNames: crd.spec.names,
    storedVersions: stored,
  };
}

export function crdController(ctx: ControllerContext): { stop(): void } {
  const { core } = ctx;
  const crdType = typeOf(core, RKEY.crds);
  /** Custom resource key (`<group>/<plural>`) → CRD name, for the cleanup of deleted CRDs. */
  const byRkey = new Map<string, string>();

  function cleanup(crd: Crd): void {
    const rkey = `${crd.spec.group}/${crd.spec.names.plural}`;
    const rt = core.registry.storedTypes().find((t) => t.rkey === rkey);
    if (rt) for (const obj of [...core.store.iterate(rkey)]) if (!isDeleting(obj)) deleteAsSystem(core, rt, obj, { propagationPolicy: "Background" });
    if (core.store.count(rkey) > 0) {
      queue.addAfter(crd.metadata.name ?? "", RETRY_MS);
      return;
    }
    removeFinalizer(core, crd, CRD_CLEANUP_FINALIZER, RKEY.crds);
  }

  function reconcile(name: string): void {
    const crd = core.store.get(RKEY.crds, "", name) as Crd | undefined;
    if (!crd) return;
    if (isDeleting(crd)) {
      if (crd.metadata.finalizers?.includes(CRD_CLEANUP_FINALIZER)) cleanup(crd);
      return;
    }
    const status = crdStatus(crd);
    if (!deepEqual(status, crd.status)) core.update(crdType, "", name, { ...crd, status }, SYSTEM, "status");
  }

  const queue = new WorkQueue("crd-controller", reconcile, ctx.log);
  const onEvent = (ev: StoreEvent): void => {
    if (ev.rkey !== RKEY.crds) {
      const crdName = byRkey.get(ev.rkey);
      if (ev.type === "DELETED" && crdName) queue.add(crdName);
      return;
    }
    const crd = ev.object as Crd;
    const name = crd.metadata.name ?? "";
    if (ev.type === "DELETED") {
      core.registry.unregisterCrd(name);
      byRkey.delete(`${crd.spec.group}/${crd.spec.names.plural}`);
      return;
    }
    if (!ev.old || !deepEqual((ev.old as Crd).spec, crd.spec)) core.registry.registerCrd(crd);
    byRkey.set(`${crd.spec.group}/${crd.spec.names.plural}`, name);
    queue.add(name);
  };
  const unsubscribe = core.store.subscribe(onEvent);
  return {
    stop() {
      unsubscribe();
      queue.stop();
    },
  };
}
