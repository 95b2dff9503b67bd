import { setTimeout as sleep } from "node:timers/promises";
import { ApisApi, type KubeConfig } from "@kubernetes/client-node";
import { kubeCall, messageOf, type Component, type OpenRuntime } from "@baton/runtime";
import { startReleaseResourceWatcher, type ReleaseWatcherOptions } from "./release-resource/index.js";
import { GROUP } from "./release-resource/release-object.js";

export interface FollowOptions extends ReleaseWatcherOptions {
  /** First wait before asking the cluster's discovery again (ms); doubled each time. Default 1000. */
  readonly recheckMs?: number;
  /** Longest wait between two discovery checks (ms). Default 30000. */
  readonly maxRecheckMs?: number;
}

/**
 * Follows Release objects (`kubectl apply -f release.yaml`) once the cluster serves the baton.dev
 * API group, i.e. once the Release CRD is installed (deploy/crd). The CRD may come after Baton
 * (a cluster where Baton is installed first, a fresh kube-sim): until the group is served, the
 * cluster's discovery (GET /apis) is asked again with backoff (1 s, doubling to 30 s), and the
 * watch starts when it appears. Discovery is readable by every authenticated identity (the
 * system:discovery role), so this needs no RBAC rule of its own: a watch on
 * CustomResourceDefinitions would need a ClusterRole. The intake is served all along.
 */
export function followReleaseResources(rt: OpenRuntime, kc: KubeConfig, opts: FollowOptions = {}): Component {
  const log = rt.log.child({ component: "release-resource" });
  const stop = new AbortController();
  let watcher: Component | undefined;
  const loop = (async () => {
    let wait = opts.recheckMs ?? 1000;
    let waited = false;
    let failing = false;
    while (!stop.signal.aborted) {
      const served = await groupServed(rt, kc).catch((err: unknown) => {
        if (!failing) log.warn({ err: messageOf(err) }, "cannot read the cluster's API groups; asking again with backoff");
        failing = true;
        return undefined;
      });
      if (served === true) {
        if (stop.signal.aborted) return;
        if (waited) log.info(`the cluster now serves ${GROUP} (Release CRD installed): following Release objects`);
        watcher = await startReleaseResourceWatcher(rt, kc, opts);
        return;
      }
      if (served === false && !waited) {
        log.info(`the cluster does not serve ${GROUP} (Release CRD not installed): Release objects are followed as soon as it does`);
      }
      waited = true;
      await sleep(wait, undefined, { signal: stop.signal }).catch(() => undefined);
      wait = Math.min(opts.maxRecheckMs ?? 30_000, wait * 2);
    }
  })();
  return {
    name: "release-resource",
    async stop() {
      stop.abort();
      await loop;
      await watcher?.stop();
    },
  };
}

async function groupServed(rt: OpenRuntime, kc: KubeConfig): Promise<boolean> {
  const groups = await kubeCall(rt.metrics, "get", "apis", () => kc.makeApiClient(ApisApi).getAPIVersions());
  return groups.groups.some((g) => g.name === GROUP);
}
