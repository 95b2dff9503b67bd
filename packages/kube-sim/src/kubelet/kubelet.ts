/**
 * The simulated kubelet of the single node "kube-sim": runs the pods bound to it (binding unbound
 * ones first, as the scheduler would), reports their status, and finishes their deletion once
 * their containers have stopped. Level-triggered: every pod change or container event queues the
 * pod's key, and `sync` compares what runs with what the pod says.
 */
import { SYSTEM, type ApiCore } from "../api/core.js";
import { deleteObject } from "../api/delete.js";
import { ApiError } from "../api/errors.js";
import type { ResourceType } from "../api/resources.js";
import { WorkQueue } from "../controllers/queue.js";
import type { Pod } from "../kinds.js";
import { deepEqual } from "../machinery/objects.js";
import { podEvent } from "./events.js";
import { IpPool } from "./ip-pool.js";
import { podStatus } from "./pod-status.js";
import { PodWorker } from "./pod-worker.js";

export const NODE_NAME = "kube-sim";
const PODS = "/pods";

export interface KubeletOptions {
  readonly probeIntervalMs: number;
  readonly log: (line: string) => void;
}

function lookup(core: ApiCore, resource: string): ResourceType {
  const rt = core.registry.lookup("", "v1", resource);
  if (!rt) throw new Error(`kube-sim kubelet: the API serves no v1 ${resource}`);
  return rt;
}

function keyOf(namespace: string | undefined, name: string | undefined): string {
  return `${namespace ?? ""}/${name ?? ""}`;
}

function isTerminal(pod: Pod): boolean {
  return pod.status?.phase === "Succeeded" || pod.status?.phase === "Failed";
}

export class Kubelet {
  readonly #core: ApiCore;
  readonly #opts: KubeletOptions;
  readonly #pods: ResourceType;
  readonly #ips = new IpPool();
  readonly #workers = new Map<string, PodWorker>();
  readonly #queue: WorkQueue;
  #unsubscribe: (() => void) | undefined;

  constructor(core: ApiCore, opts: KubeletOptions) {
    this.#core = core;
    this.#opts = opts;
    this.#pods = lookup(core, "pods");
    this.#queue = new WorkQueue("kubelet", (key) => this.#sync(key), opts.log);
  }

  start(): void {
    this.#unsubscribe = this.#core.store.subscribe((e) => {
      if (e.rkey === PODS) this.#queue.add(keyOf(e.object.metadata.namespace, e.object.metadata.name));
    });
    for (const pod of this.#core.store.iterate(PODS)) this.#queue.add(keyOf(pod.metadata.namespace, pod.metadata.name));
  }

  async close(): Promise<void> {
    this.#unsubscribe?.();
    this.#queue.stop();
    for (const [key, worker] of this.#workers) this.#drop(key, worker);
  }

  #sync(key: string): void {
    const slash = key.indexOf("/");
    const pod = this.#core.store.get(PODS, key.slice(0, slash), key.slice(slash + 1)) as Pod | undefined;
    let worker = this.#workers.get(key);
    if (worker && (!pod || pod.metadata.uid !== worker.uid)) {
      this.#drop(key, worker);
      worker = undefined;
    }
    if (!pod) return;
    const deleting = pod.metadata.deletionTimestamp !== undefined;
    if (!worker) {
      if (deleting) return this.#finalize(pod);
      if (isTerminal(pod)) return;
      if (!pod.spec.nodeName) return this.#bind(pod);
      return this.#run(key, pod);
    }
    if (deleting) worker.terminate(pod.metadata.deletionGracePeriodSeconds ?? 0);
    this.#writeStatus(pod, worker);
    if (!worker.finished) return;
    this.#finalize(pod);
    this.#drop(key, worker);
  }

  #run(key: string, pod: Pod): void {
    const warn = (reason: string, message: string) => this.#warn(pod, reason, message);
    const worker = new PodWorker(pod, { ips: this.#ips, probeIntervalMs: this.#opts.probeIntervalMs, changed: () => this.#queue.add(key), warn });
    this.#workers.set(key, worker);
    worker.start().catch((err: unknown) => this.#opts.log(`kubelet: pod ${key}: start failed: ${String(err)}`));
  }

  #drop(key: string, worker: PodWorker): void {
    worker.kill();
    if (worker.ip) this.#ips.release(worker.ip);
    this.#workers.delete(key);
  }

  /** Binds an unscheduled pod to this node (the scheduler's one job, done here). */
  #bind(pod: Pod): void {
    const next: Pod = { ...pod, spec: { ...pod.spec, nodeName: NODE_NAME } };
    this.#write(pod, () => this.#core.update(this.#pods, pod.metadata.namespace ?? "", pod.metadata.name ?? "", next, SYSTEM));
  }

  /** Writes the pod's status when it differs from what runs (only on change). */
  #writeStatus(pod: Pod, worker: PodWorker): void {
    const view = worker.view();
    if (!view) return;
    const status = podStatus(pod, view);
    if (deepEqual(status, pod.status)) return;
    this.#write(pod, () => this.#core.update(this.#pods, pod.metadata.namespace ?? "", pod.metadata.name ?? "", { ...pod, status }, SYSTEM, "status"));
  }

  /** Removes a pod whose containers have stopped (a delete with grace 0, as the kubelet does). */
  #finalize(pod: Pod): void {
    const uid = pod.metadata.uid;
    const opts = { gracePeriodSeconds: 0, ...(uid ? { preconditions: { uid } } : {}) };
    this.#write(pod, () => deleteObject(this.#core, this.#pods, pod.metadata.namespace ?? "", pod.metadata.name ?? "", opts, SYSTEM));
  }

  /** Runs a write; a pod gone (404) or replaced (409) needs nothing more: its own event queues a fresh sync. */
  #write(pod: Pod, fn: () => unknown): void {
    try {
      fn();
    } catch (err) {
      if (err instanceof ApiError && (err.code === 404 || err.code === 409)) {
        if (err.code === 409) this.#queue.add(keyOf(pod.metadata.namespace, pod.metadata.name));
        return;
      }
      throw err;
    }
  }

  #warn(pod: Pod, reason: string, message: string): void {
    const events = this.#core.registry.lookup("", "v1", "events");
    if (!events) return;
    try {
      this.#core.createSync(events, pod.metadata.namespace ?? "", podEvent(pod, reason, message, NODE_NAME), SYSTEM);
    } catch (err) {
      this.#opts.log(`kubelet: pod ${pod.metadata.name ?? ""}: cannot record event ${reason}: ${String(err)}`);
    }
  }
}
