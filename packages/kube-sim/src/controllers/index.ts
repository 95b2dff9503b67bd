/** Starts every controller of the simulator, each reconciling through ApiCore as "system:kube-sim". */
import type { ApiCore } from "../api/core.js";
import { recorders, type ControllerContext } from "./context.js";
import { crdController } from "./crd.js";
import { deploymentController } from "./deployment.js";
import { endpointSliceMirroringController } from "./endpoint-slice-mirroring.js";
import { endpointSliceController } from "./endpoint-slices.js";
import { endpointsController } from "./endpoints.js";
import { eventTtlController } from "./event-ttl.js";
import { garbageCollector } from "./garbage-collector.js";
import { namespaceController } from "./namespace.js";
import { OwnerIndex } from "./owners.js";
import { replicaSetController } from "./replicaset.js";
import { schedulerController } from "./scheduler.js";

export interface Controllers {
  stop(): void;
}

/** Must start before any object is stored: the ownership index learns objects from store events. */
export function startControllers(core: ApiCore, log: (line: string) => void, opts: { eventTtlMs: number }): Controllers {
  const owners = new OwnerIndex(core.store);
  const ctx: ControllerContext = { core, owners, log, recorder: recorders(core, log) };
  const running = [
    crdController(ctx),
    garbageCollector(ctx),
    namespaceController(ctx),
    deploymentController(ctx),
    replicaSetController(ctx),
    schedulerController(ctx),
    endpointsController(ctx),
    endpointSliceController(ctx),
    endpointSliceMirroringController(ctx),
    eventTtlController(ctx, opts.eventTtlMs),
  ];
  return {
    stop() {
      for (const c of running) c.stop();
      owners.close();
    },
  };
}
