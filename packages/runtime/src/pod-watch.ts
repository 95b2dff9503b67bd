import { setTimeout as sleep } from "node:timers/promises";
import { Watch, type CoreV1Api, type KubeConfig, type V1Pod } from "@kubernetes/client-node";
import { messageOf } from "./errors.js";
import { LABEL_APP, LABEL_REVISION, kubeCall } from "./kube.js";
import type { Logger } from "./logger.js";
import type { Metrics } from "./metrics.js";

// One shared pod watch per namespace, feeding every release that waits for its pods there (the
// pod-manager) and every console page that shows them, so nothing polls the API server and a
// waiting handler wakes on the change itself. The watch lists Baton's pods (those with the app and revision labels), then watches from the list's
// resourceVersion; it resumes from the last resourceVersion it saw (bookmarks included) when the
// stream ends, and lists again when that version has expired (410). A namespace nobody waits on
// for IDLE_MS is let go.

const SELECTOR = `${LABEL_APP},${LABEL_REVISION}`;
const IDLE_MS = 30_000;
const RESTART_MS = 500;
const WATCH_TIMEOUT_S = 290;

export interface PodWatchOptions {
  /**
   * The client ends a watch the server has not ended this long after the watch's timeout: a
   * connection that died silently (no FIN, no error) must not stop the cache for good.
   */
  readonly watchGuardMs?: number;
  /** A full list this often, whatever the watch says: a missed event cannot leave the cache wrong for long. */
  readonly relistMs?: number;
}

const DEFAULT_OPTIONS: Required<PodWatchOptions> = { watchGuardMs: (WATCH_TIMEOUT_S + 30) * 1000, relistMs: 10 * 60_000 };

/** Called with every cached pod of the namespace whenever one of them changes. */
export type PodListener = (pods: readonly V1Pod[]) => void;

export class PodWatchHub {
  private readonly namespaces = new Map<string, NamespaceWatch>();

  constructor(
    private readonly kc: KubeConfig,
    private readonly core: CoreV1Api,
    private log: Logger,
    private metrics?: Metrics,
    private readonly options: PodWatchOptions = {},
  ) {}

  /** The runtime's logger and metrics, once it exists (the hub is made before it): watches started from then on use them. */
  useRuntime(log: Logger, metrics: Metrics): void {
    this.log = log;
    this.metrics = metrics;
  }

  /** Subscribes to the pods of a namespace; the listener is called once the cache is synced, then on every change. */
  subscribe(namespace: string, listener: PodListener): () => void {
    let ns = this.namespaces.get(namespace);
    if (ns === undefined) {
      ns = new NamespaceWatch(namespace, this.kc, this.core, this.log.child({ component: "pod-watch", namespace }), this.metrics, () =>
        this.namespaces.delete(namespace),
        { ...DEFAULT_OPTIONS, ...this.options },
      );
      this.namespaces.set(namespace, ns);
    }
    return ns.add(listener);
  }

  async close(): Promise<void> {
    await Promise.all([...this.namespaces.values()].map((ns) => ns.stop()));
    this.namespaces.clear();
  }
}

class NamespaceWatch {
  private readonly pods = new Map<string, V1Pod>();
  private readonly listeners = new Set<PodListener>();
  private resourceVersion: string | undefined;
  private synced = false;
  private listedAt = 0;
  private stopped = false;
  private controller: AbortController | undefined;
  private idle: NodeJS.Timeout | undefined;
  private readonly loop: Promise<void>;

  constructor(
    private readonly namespace: string,
    private readonly kc: KubeConfig,
    private readonly core: CoreV1Api,
    private readonly log: Logger,
    private readonly metrics: Metrics | undefined,
    private readonly onStop: () => void,
    private readonly options: Required<PodWatchOptions>,
  ) {
    this.loop = this.run();
  }

  add(listener: PodListener): () => void {
    clearTimeout(this.idle);
    this.listeners.add(listener);
    if (this.synced) listener([...this.pods.values()]);
    return () => {
      this.listeners.delete(listener);
      if (this.listeners.size === 0) this.idle = setTimeout(() => void this.stop(), IDLE_MS).unref();
    };
  }

  async stop(): Promise<void> {
    this.stopped = true;
    clearTimeout(this.idle);
    this.controller?.abort();
    this.onStop();
    await this.loop;
  }

  private async run(): Promise<void> {
    while (!this.stopped) {
      try {
        if (this.resourceVersion === undefined || Date.now() - this.listedAt >= this.options.relistMs) await this.relist();
        const started = Date.now();
        await this.watchOnce();
        if (Date.now() - started < RESTART_MS) await sleep(RESTART_MS); // a server that ends watches at once
      } catch (err) {
        if (this.stopped) break;
        this.log.warn({ err: messageOf(err) }, "pod watch interrupted; restarting");
        await sleep(RESTART_MS);
      }
    }
  }

  private async relist(): Promise<void> {
    const list = await kubeCall(this.metrics, "list", "pods", () =>
      this.core.listNamespacedPod({ namespace: this.namespace, labelSelector: SELECTOR }),
    );
    this.pods.clear();
    for (const pod of list.items) if (pod.metadata?.name) this.pods.set(pod.metadata.name, pod);
    this.resourceVersion = list.metadata?.resourceVersion;
    this.listedAt = Date.now();
    this.synced = true;
    this.notify();
  }

  /** One watch request; resolves when the server ends it, rejects on an error. */
  private watchOnce(): Promise<void> {
    return new Promise((resolve, reject) => {
      const path = `/api/v1/namespaces/${encodeURIComponent(this.namespace)}/pods`;
      const query = { labelSelector: SELECTOR, resourceVersion: this.resourceVersion, allowWatchBookmarks: true, timeoutSeconds: WATCH_TIMEOUT_S };
      let guard: NodeJS.Timeout | undefined;
      const done = (err: unknown) => {
        clearTimeout(guard);
        if (err) reject(err as Error);
        else resolve();
      };
      kubeCall(this.metrics, "watch", "pods", () => new Watch(this.kc).watch(path, query, (type, obj) => this.onEvent(type, obj as V1Pod), done))
        .then((c) => {
          this.controller = c;
          if (this.stopped) c.abort();
          guard = setTimeout(() => {
            this.log.warn("pod watch outlived its timeout without ending: restarting it");
            c.abort();
            resolve();
          }, this.options.watchGuardMs);
          guard.unref();
        }, reject);
    });
  }

  private onEvent(type: string, obj: V1Pod): void {
    if (type === "ERROR") {
      // 410 Expired (too old a resourceVersion) or any other error: list again, then watch.
      this.log.info({ code: (obj as { code?: number }).code }, "pod watch error event; listing again");
      this.resourceVersion = undefined;
      this.controller?.abort();
      return;
    }
    const rv = obj.metadata?.resourceVersion;
    if (rv !== undefined) this.resourceVersion = rv;
    if (type === "BOOKMARK") return;
    const name = obj.metadata?.name;
    if (name === undefined) return;
    if (type === "DELETED") this.pods.delete(name);
    else this.pods.set(name, obj);
    this.notify();
  }

  private notify(): void {
    const pods = [...this.pods.values()];
    for (const l of this.listeners) {
      try {
        l(pods);
      } catch (err) {
        this.log.error({ err }, "pod listener failed");
      }
    }
  }
}
