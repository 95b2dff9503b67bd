import { setTimeout as sleep } from "node:timers/promises";
import { productionServiceName } from "@baton/runtime";
import type { KubePorts } from "../kube.js";
import type { SwitcherOptions } from "../options.js";
import { readyAddresses, revisionPods, split } from "./endpoints.js";

export type Confirmation =
  | { readonly ok: true; readonly endpoints: number }
  | { readonly ok: false; readonly ofRevision: number; readonly others: number; readonly needed: number };

/**
 * Confirms a selector change took effect: the production Service's EndpointSlices list only pods of
 * `revision` as ready addresses, at least `needed` of them. Polls for a short while (the
 * endpoints controller follows the selector asynchronously), then reports what it last saw.
 */
export async function confirmSwitch(
  kube: KubePorts,
  namespace: string,
  app: string,
  revision: number,
  needed: number,
  opts: SwitcherOptions,
  signal?: AbortSignal,
): Promise<Confirmation> {
  const deadline = Date.now() + opts.confirmTimeoutMs;
  for (;;) {
    const [pods, addresses] = await Promise.all([
      revisionPods(kube, namespace, app, revision),
      readyAddresses(kube, namespace, productionServiceName(app)),
    ]);
    const { ofRevision, others } = split(addresses, pods);
    if (others === 0 && ofRevision >= needed) return { ok: true, endpoints: ofRevision };
    if (Date.now() >= deadline || signal?.aborted) return { ok: false, ofRevision, others, needed };
    await sleep(opts.pollMs);
  }
}
