import { rename, writeFile } from "node:fs/promises";
import type { CoreV1Api, V1Pod } from "@kubernetes/client-node";
import { startPrometheusServer, type ServerProcess } from "./servers.js";

// A real Prometheus scraping the demo app's pods of a cluster: the analysis tests' and the demo's.
//
// Discovery is a file (file_sd) that this harness writes from the cluster's pods, not Prometheus'
// Kubernetes service discovery: it works the same on kube-sim and on a real API server (the
// suites run on both), Prometheus holds no cluster credentials (kubernetes_sd would need a
// kubeconfig or a ServiceAccount allowed to list and watch pods), and a pod is scraped on the
// address its status reports, with the labels a real install relabels from it: namespace, app
// (app.kubernetes.io/name), revision (baton.dev/revision), pod. Scrapes every second.

export interface PodPrometheus {
  readonly url: string;
  readonly server: ServerProcess;
  /** Starts keeping the discovery file in step with the pods of `namespace` (until stop). */
  watch(core: CoreV1Api, namespace: string): void;
  /** Instant query, as the validator makes it: the result's values (a vector's samples' values, or a scalar). */
  query(promql: string): Promise<number[]>;
  stop(): Promise<void>;
}

const REFRESH_MS = 250;

export async function startPodPrometheus(opts: { scrapeIntervalMs?: number } = {}): Promise<PodPrometheus> {
  const server = await startPrometheusServer({ scrapeIntervalMs: opts.scrapeIntervalMs ?? 1000 });
  let running = true;
  let last = "";
  let loop: Promise<void> = Promise.resolve();
  const discover = async (core: CoreV1Api, namespace: string) => {
    const pods = await core.listNamespacedPod({ namespace });
    const text = JSON.stringify(pods.items.flatMap(targetOf));
    if (text === last) return;
    await writeFile(`${server.targetsFile}.tmp`, text);
    await rename(`${server.targetsFile}.tmp`, server.targetsFile); // Prometheus never reads half a file
    last = text;
  };
  await ready(server.url);
  return {
    url: server.url,
    server,
    watch(core, namespace) {
      loop = (async () => {
        while (running) {
          await discover(core, namespace).catch(() => undefined); // the cluster closing under us at the end of a test
          await new Promise((r) => setTimeout(r, REFRESH_MS));
        }
      })();
    },
    async query(promql) {
      const res = await fetch(`${server.url}/api/v1/query?query=${encodeURIComponent(promql)}`);
      const body = (await res.json()) as { data: { resultType: string; result: unknown } };
      if (body.data.resultType === "scalar") return [Number((body.data.result as [number, string])[1])];
      return (body.data.result as { value: [number, string] }[]).map((s) => Number(s.value[1]));
    },
    async stop() {
      running = false;
      await loop;
      await server.kill("SIGTERM");
    },
  };
}

/** A running pod as a file_sd target: its IP and first container port, with its labels. */
function targetOf(pod: V1Pod): { targets: string[]; labels: Record<string, string> }[] {
  const ip = pod.status?.podIP;
  if (ip === undefined || pod.status?.phase !== "Running" || pod.metadata?.deletionTimestamp !== undefined) return [];
  const port = pod.spec?.containers[0]?.ports?.[0]?.containerPort ?? 8080;
  const labels = pod.metadata?.labels ?? {};
  return [
    {
      targets: [`${ip}:${port}`],
      labels: {
        namespace: pod.metadata?.namespace ?? "",
        pod: pod.metadata?.name ?? "",
        app: labels["app.kubernetes.io/name"] ?? "",
        revision: labels["baton.dev/revision"] ?? "",
      },
    },
  ];
}

async function ready(url: string): Promise<void> {
  for (let i = 0; i < 200; i++) {
    const ok = await fetch(`${url}/-/ready`).then((r) => r.ok, () => false);
    if (ok) return;
    await new Promise((r) => setTimeout(r, 50));
  }
  throw new Error(`Prometheus at ${url} did not become ready`);
}
