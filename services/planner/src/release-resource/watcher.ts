import { setTimeout as sleep } from "node:timers/promises";
import { CustomObjectsApi, Watch, type KubeConfig } from "@kubernetes/client-node";
import { kubeCall, type Component, type Metrics, type OpenRuntime } from "@baton/runtime";
import { GROUP, PLURAL, VERSION, type ReleaseObject } from "./release-object.js";
import { ReleaseTracker } from "./tracker.js";

// Watches Release objects (every namespace when BATON_ALLOWED_NAMESPACES is "*", else one watch
// per allowed namespace, which namespaced RBAC allows), hands each one to the tracker, and runs
// the tracker's pass every `pollMs`. A watch that ends or fails is re-listed and resumed.

export interface ReleaseWatcherOptions {
  /** How often followed releases are read from the store and written back (ms). Default 1000. */
  readonly pollMs?: number;
  /** Wait before re-listing after a watch ended with an error (ms). Default 1000. */
  readonly relistMs?: number;
}

interface ListResult {
  readonly items?: ReleaseObject[];
  readonly metadata?: { readonly resourceVersion?: string };
}

export async function startReleaseResourceWatcher(rt: OpenRuntime, kc: KubeConfig, opts: ReleaseWatcherOptions = {}): Promise<Component> {
  const api = kc.makeApiClient(CustomObjectsApi);
  const tracker = new ReleaseTracker(rt, api);
  const stop = new AbortController();
  const log = rt.log.child({ component: "release-resource" });
  const allowed = rt.config.BATON_ALLOWED_NAMESPACES;
  const scopes: (string | null)[] = allowed === "*" ? [null] : [...allowed];
  const loops = scopes.map((ns) => watchLoop(kc, api, rt, ns, tracker, stop.signal, opts.relistMs ?? 1000));
  const poller = (async () => {
    while (!stop.signal.aborted) {
      await tracker.tick(Date.now());
      await sleep(opts.pollMs ?? 1000, undefined, { signal: stop.signal }).catch(() => undefined);
    }
  })();
  log.info({ namespaces: allowed }, "watching Release objects");
  return {
    name: "release-resource",
    async stop() {
      stop.abort();
      await Promise.all([poller, ...loops]);
    },
  };
}

/** List, then watch from the list's resourceVersion; again after the watch ends, until stopped. */
async function watchLoop(kc: KubeConfig, api: CustomObjectsApi, rt: OpenRuntime, ns: string | null, tracker: ReleaseTracker, signal: AbortSignal, relistMs: number): Promise<void> {
  const log = rt.log.child({ component: "release-resource", namespace: ns ?? "*" });
  while (!signal.aborted) {
    try {
      const list = await listReleases(api, rt, ns);
      for (const obj of list.items ?? []) tracker.observe(obj);
      await watchOnce(kc, rt.metrics, ns, list.metadata?.resourceVersion, tracker, signal);
    } catch (err) {
      if (signal.aborted) break;
      log.warn({ err }, "Release watch ended; listing again");
    }
    await sleep(relistMs, undefined, { signal }).catch(() => undefined);
  }
}

function listReleases(api: CustomObjectsApi, rt: OpenRuntime, ns: string | null): Promise<ListResult> {
  return kubeCall(rt.metrics, "list", "releases", () =>
    ns === null
      ? api.listClusterCustomObject({ group: GROUP, version: VERSION, plural: PLURAL })
      : api.listNamespacedCustomObject({ group: GROUP, version: VERSION, namespace: ns, plural: PLURAL }),
  ) as Promise<ListResult>;
}

/** One watch stream; resolves when the server ends it or on stop, rejects on an error or a 410 Gone. */
async function watchOnce(kc: KubeConfig, metrics: Metrics, ns: string | null, resourceVersion: string | undefined, tracker: ReleaseTracker, signal: AbortSignal): Promise<void> {
  const path = ns === null ? `/apis/${GROUP}/${VERSION}/${PLURAL}` : `/apis/${GROUP}/${VERSION}/namespaces/${ns}/${PLURAL}`;
  const query = { resourceVersion, allowWatchBookmarks: true, timeoutSeconds: 300 };
  let onAbort = () => {};
  let started: Promise<AbortController> | undefined;
  const ended = new Promise<void>((resolve, reject) => {
    onAbort = () => resolve();
    started = kubeCall(metrics, "watch", "releases", () => new Watch(kc).watch(path, query, (type, obj: ReleaseObject) => {
      if (type === "ADDED" || type === "MODIFIED") tracker.observe(obj);
      else if (type === "DELETED") tracker.forget(obj);
      else if (type === "ERROR") reject(new Error(`watch of ${path} failed: ${JSON.stringify(obj)}`));
    }, (err: unknown) => (err && !signal.aborted ? reject(err as Error) : resolve())));
    started.catch(reject);
  });
  // the stream is closed once it has started and it ended or we are stopping
  void Promise.all([started, ended.catch(() => undefined)]).then(([controller]) => controller?.abort(), () => undefined);
  if (signal.aborted) onAbort();
  signal.addEventListener("abort", onAbort, { once: true });
  try {
    await ended;
  } finally {
    signal.removeEventListener("abort", onAbort);
  }
}
