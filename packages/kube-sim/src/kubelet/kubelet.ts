/**
 * The kubelet of a kube-sim node, against any API server through its HTTP API: runs the pods
 * bound to its node (a list+watch of `spec.nodeName=<node>`; pods of other nodes are never
 * seen), writes their status through the `status` subresource, and finishes their deletion once
 * their containers have stopped (DELETE with gracePeriodSeconds 0 and a uid precondition, as a
 * real kubelet). Level-triggered: every pod change or container event queues the pod's key, and
 * `sync` compares what runs with what the pod says.
 */
import type { ApiClient } from "../client/rest.js";
import { isStatus } from "../client/rest.js";
import { Informer, keyOf } from "../client/informer.js";
import { WorkQueue } from "../controllers/queue.js";
import type { KObject, Pod } from "../kinds.js";
import { EventRecorder, type EventType } from "../events/recorder.js";
import { clientSink } from "../events/sinks.js";
import { deepEqual } from "../machinery/objects.js";
import type { ContainerLog } from "./container-log.js";
import { IpPool, type Cidr } from "./ip-pool.js";
import { logStateError } from "./logs.js";
import { podStatus, shutdownStatus } from "./pod-status.js";
import { PodWorker } from "./pod-worker.js";

/** A container's log, or why it cannot be read (the kubelet's status code and words). */
export type OpenedLog = { ok: true; log: ContainerLog } | { ok: false; code: 400 | 404; message: string };

export interface KubeletOptions {
  readonly client: ApiClient;
  readonly nodeName: string;
  /** The node's address: the pods' hostIP. */
  readonly hostIP: string;
  /** Where pod IPs come from (ip-pool.ts). */
  readonly podCidr: Cidr;
  readonly probeIntervalMs: number;
  readonly log: (line: string) => void;
}

function isTerminal(pod: Pod): boolean {
  return pod.status?.phase === "Succeeded" || pod.status?.phase === "Failed";
}

function podPath(pod: KObject): string {
  return `/api/v1/namespaces/${encodeURIComponent(pod.metadata.namespace ?? "")}/pods/${encodeURIComponent(pod.metadata.name ?? "")}`;
}

export class Kubelet {
  readonly #o: KubeletOptions;
  readonly #ips: IpPool;
  readonly #workers = new Map<string, PodWorker>();
  /** Uids whose deletion this kubelet has finished (until the watch reports them gone). */
  readonly #finished = new Set<string>();
  readonly #queue: WorkQueue;
  readonly #pods: Informer;
  readonly #events: EventRecorder;

  constructor(options: KubeletOptions) {
    this.#o = options;
    this.#events = new EventRecorder({ sink: clientSink(options.client), component: "kubelet", host: options.nodeName, log: options.log });
    this.#ips = new IpPool(options.podCidr);
    this.#queue = new WorkQueue("kubelet", (key) => this.#sync(key), options.log);
    this.#pods = new Informer({
      client: options.client,
      path: "/api/v1/pods",
      apiVersion: "v1",
      kind: "Pod",
      fieldSelector: `spec.nodeName=${options.nodeName}`,
      log: options.log,
      onChange: (type, pod) => {
        if (type === "DELETED") this.#finished.delete(pod.metadata.uid ?? "");
        this.#queue.add(keyOf(pod));
      },
    });
  }

  /** Resolves once the pods bound to this node are known (and being started). */
  start(): Promise<void> {
    return this.#pods.start();
  }

  /** Stops watching and kills every container at once (SIGKILL). */
  close(): void {
    this.#pods.stop();
    this.#queue.stop();
    for (const [key, worker] of this.#workers) this.#drop(key, worker);
  }

  /**
   * A graceful node shutdown (a kubelet's shutdownGracePeriod): SIGTERM to every pod, its grace
   * period capped at `graceMs`, SIGKILL to what is left, then each pod marked Failed
   * (reason Terminated, condition DisruptionTarget) as a real kubelet does, so that its controller
   * replaces it (on another node, or here once this node is back) instead of the API showing a
   * Ready pod nothing runs. Status writes are best effort, each bounded.
   */
  async shutdown(graceMs: number): Promise<void> {
    this.#pods.stop();
    this.#queue.stop();
    const running = [...this.#workers];
    for (const [, worker] of running) worker.terminate(Math.min(worker.pod.spec.terminationGracePeriodSeconds ?? 30, graceMs / 1000));
    const deadline = Date.now() + graceMs;
    while (running.some(([, w]) => !w.finished) && Date.now() < deadline) await new Promise((r) => setTimeout(r, 50));
    for (const [key, worker] of running) this.#drop(key, worker);
    await Promise.all(running.map(([key, worker]) => this.#reportShutdown(key, worker)));
  }

  /** The log of a container of a pod this node runs (what `/containerLogs/<ns>/<pod>/<container>` serves). */
  openLog(namespace: string, name: string, container: string, previous: boolean): OpenedLog {
    const key = `${namespace}/${name}`;
    const pod = this.#pods.get(key) as Pod | undefined;
    if (!pod) return { ok: false, code: 404, message: `pod ${JSON.stringify(name)} does not exist` };
    if (!pod.spec.containers.some((c) => c.name === container)) return { ok: false, code: 404, message: `container ${JSON.stringify(container)} not found in pod ${JSON.stringify(name)}` };
    const run = this.#workers.get(key)?.container(container);
    const refused = logStateError(container, name, run?.view().state, previous);
    if (refused || !run) return { ok: false, code: 400, message: refused ?? "" };
    return { ok: true, log: run.log };
  }

  async #reportShutdown(key: string, worker: PodWorker): Promise<void> {
    const pod = this.#pods.get(key) as Pod | undefined;
    const view = worker.view();
    if (!pod || !view || pod.metadata.uid !== worker.uid) return;
    const status = shutdownStatus(podStatus(pod, view, this.#o.hostIP));
    await this.#o.client.request("PUT", `${podPath(pod)}/status`, { body: { ...pod, status }, timeoutMs: 2000 }).catch((err: unknown) => {
      this.#o.log(`kubelet: pod ${key}: cannot report the node shutdown: ${String(err)}`);
    });
  }

  async #sync(key: string): Promise<void> {
    const pod = this.#pods.get(key) as Pod | undefined;
    let worker = this.#workers.get(key);
    if (worker && (!pod || pod.metadata.uid !== worker.uid)) {
      this.#drop(key, worker);
      worker = undefined;
    }
    if (!pod || pod.spec.nodeName !== this.#o.nodeName) return;
    const deleting = pod.metadata.deletionTimestamp !== undefined;
    if (!worker) {
      if (deleting) return this.#finished.has(pod.metadata.uid ?? "") ? undefined : this.#finalize(pod);
      if (isTerminal(pod)) return;
      return this.#run(key, pod);
    }
    if (deleting) worker.terminate(pod.metadata.deletionGracePeriodSeconds ?? 0);
    await this.#writeStatus(pod, worker);
    if (!worker.finished) return;
    await this.#finalize(pod);
    this.#drop(key, worker);
  }

  #run(key: string, pod: Pod): void {
    const event = (container: string, type: EventType, reason: string, message: string) => this.#event(pod, container, type, reason, message);
    const worker = new PodWorker(pod, { ips: this.#ips, probeIntervalMs: this.#o.probeIntervalMs, changed: () => this.#queue.add(key), event });
    this.#workers.set(key, worker);
    worker.start().catch((err: unknown) => this.#o.log(`kubelet: pod ${key}: start failed: ${String(err)}`));
  }

  #drop(key: string, worker: PodWorker): void {
    worker.kill();
    if (worker.ip) this.#ips.release(worker.ip);
    this.#workers.delete(key);
  }

  /** Writes the pod's status when it differs from what runs (only on change). */
  async #writeStatus(pod: Pod, worker: PodWorker): Promise<void> {
    const view = worker.view();
    if (!view) return;
    const status = podStatus(pod, view, this.#o.hostIP);
    if (deepEqual(status, pod.status)) return;
    const written = await this.#write(() => this.#o.client.request<KObject>("PUT", `${podPath(pod)}/status`, { body: { ...pod, status } }));
    if (written) this.#pods.observe(written);
  }

  /** Removes a pod whose containers have stopped (a delete with grace 0 and the pod's uid as precondition). */
  async #finalize(pod: Pod): Promise<void> {
    const uid = pod.metadata.uid;
    const body = { apiVersion: "v1", kind: "DeleteOptions", gracePeriodSeconds: 0, ...(uid ? { preconditions: { uid } } : {}) };
    await this.#write(() => this.#o.client.request("DELETE", podPath(pod), { body }));
    if (uid) this.#finished.add(uid);
  }

  /**
   * Runs a write; a pod gone (404) or changed meanwhile (409) needs nothing more: the watch brings
   * its new state, which queues a fresh sync. Anything else fails the sync (retried with backoff).
   */
  async #write<T>(fn: () => Promise<T>): Promise<T | undefined> {
    try {
      return await fn();
    } catch (err) {
      if (isStatus(err, 404, 409)) return undefined;
      throw err;
    }
  }

  /** An Event on a container of `pod`, as a kubelet records it (involvedObject.fieldPath names the container). */
  #event(pod: Pod, container: string, type: EventType, reason: string, message: string): void {
    const m = pod.metadata;
    const ref = { apiVersion: "v1", kind: "Pod", namespace: m.namespace ?? "", name: m.name ?? "", uid: m.uid ?? "", fieldPath: `spec.containers{${container}}` };
    this.#events.event(ref, type, reason, message);
  }
}
