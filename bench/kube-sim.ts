// kube-sim's own benchmark (issue 3): API latency through the real @kubernetes/client-node,
// a Deployment of 10 demo-app pods to all Ready, and the same API figures with 250 Deployments
// and 1,000 running pods in the simulator, plus how fast a watch sees a write.
// `pnpm exec tsx --conditions=source bench/kube-sim.ts [--quick]`
import * as k8s from "@kubernetes/client-node";
import { startKubeSim, type KubeSim } from "@baton/kube-sim";
import { reuseConnections } from "@baton/runtime";
import { markdownTable, msSince, progress, summarize, type Summary } from "./lib/stats.js";

const quick = process.argv.includes("--quick");
const N = quick ? { ops: 200, rollouts: 3, deployments: 50, podsEach: 4, watchOps: 100 } : { ops: 1000, rollouts: 10, deployments: 250, podsEach: 4, watchOps: 500 };
const merge = k8s.setHeaderOptions("Content-Type", k8s.PatchStrategy.MergePatch);

interface Clients {
  kc: k8s.KubeConfig;
  core: k8s.CoreV1Api;
  apps: k8s.AppsV1Api;
}

function clients(sim: KubeSim): Clients {
  const kc = new k8s.KubeConfig();
  kc.loadFromString(sim.kubeconfig());
  reuseConnections(kc); // as Baton's services do: one kept-alive connection, not one per call
  return { kc, core: kc.makeApiClient(k8s.CoreV1Api), apps: kc.makeApiClient(k8s.AppsV1Api) };
}

async function timed(n: number, op: (i: number) => Promise<unknown>): Promise<Summary> {
  const samples: number[] = [];
  for (let i = 0; i < n; i++) {
    const start = process.hrtime.bigint();
    await op(i);
    samples.push(msSince(start));
  }
  return summarize(samples);
}

async function apiLatency(c: Clients, ns: string, tag: string): Promise<Record<string, Summary>> {
  const name = (i: number) => `${tag}-${i}`;
  const create = await timed(N.ops, (i) => c.core.createNamespacedConfigMap({ namespace: ns, body: { metadata: { name: name(i), labels: { bench: tag } }, data: { v: "0" } } }));
  const get = await timed(N.ops, (i) => c.core.readNamespacedConfigMap({ name: name(i), namespace: ns }));
  const patch = await timed(N.ops, (i) => c.core.patchNamespacedConfigMap({ name: name(i), namespace: ns, body: { data: { v: "1" } } }, merge));
  const list = await timed(Math.ceil(N.ops / 10), () => c.core.listNamespacedConfigMap({ namespace: ns, labelSelector: `bench=${tag}` }));
  const getDeployment = await timed(N.ops, () => c.apps.readNamespacedDeployment({ name: "probe", namespace: ns }).catch(() => undefined));
  return { [`create configmap`]: create, [`get configmap`]: get, [`patch configmap (merge)`]: patch, [`list ${N.ops} configmaps by label`]: list, [`get deployment`]: getDeployment };
}

function deployment(name: string, replicas: number): k8s.V1Deployment {
  const labels = { app: name };
  const container = { name: "app", image: "baton.dev/demo-app:1.0.0", ports: [{ containerPort: 8080 }], readinessProbe: { httpGet: { path: "/healthz", port: 8080 }, periodSeconds: 1 } };
  return { metadata: { name }, spec: { replicas, selector: { matchLabels: labels }, template: { metadata: { labels }, spec: { containers: [container] } } } };
}

/** Resolves when the named Deployments all report `replicas` available (one watch for all). */
async function allAvailable(c: Clients, ns: string, names: Set<string>, replicas: number): Promise<void> {
  const left = new Set(names);
  let done: () => void = () => {};
  const finished = new Promise<void>((resolve) => (done = resolve));
  const ctl = await new k8s.Watch(c.kc).watch(`/apis/apps/v1/namespaces/${ns}/deployments`, {}, (_type, d: k8s.V1Deployment) => {
    if (d.status?.availableReplicas === replicas && d.status.updatedReplicas === replicas) left.delete(d.metadata?.name ?? "");
    if (left.size === 0) done();
  }, () => {});
  await finished;
  ctl.abort();
}

async function rollouts(c: Clients, ns: string): Promise<Summary> {
  const samples: number[] = [];
  for (let i = 0; i < N.rollouts; i++) {
    const name = `ten-${i}`;
    const start = process.hrtime.bigint();
    const ready = allAvailable(c, ns, new Set([name]), 10);
    await c.apps.createNamespacedDeployment({ namespace: ns, body: deployment(name, 10) });
    await ready;
    samples.push(msSince(start));
    await c.apps.deleteNamespacedDeployment({ name, namespace: ns });
  }
  return summarize(samples);
}

async function watchLatency(c: Clients, ns: string): Promise<Summary> {
  await c.core.createNamespacedConfigMap({ namespace: ns, body: { metadata: { name: "watched" }, data: { i: "-1" } } });
  const sentAt = new Map<string, bigint>();
  const samples: number[] = [];
  let next: () => void = () => {};
  const ctl = await new k8s.Watch(c.kc).watch(`/api/v1/namespaces/${ns}/configmaps`, { fieldSelector: "metadata.name=watched", resourceVersion: "0" }, (_t, cm: k8s.V1ConfigMap) => {
    const start = sentAt.get(cm.data?.i ?? "");
    if (start === undefined) return;
    samples.push(msSince(start));
    next();
  }, () => {});
  for (let i = 0; i < N.watchOps; i++) {
    const seen = new Promise<void>((resolve) => (next = resolve));
    sentAt.set(String(i), process.hrtime.bigint());
    await c.core.patchNamespacedConfigMap({ name: "watched", namespace: ns, body: { data: { i: String(i) } } }, merge);
    await seen;
  }
  ctl.abort();
  return summarize(samples);
}

async function fleet(c: Clients, ns: string): Promise<{ ms: number; pods: number }> {
  await c.core.createNamespace({ body: { metadata: { name: ns } } });
  const names = new Set(Array.from({ length: N.deployments }, (_, i) => `svc-${i}`));
  const start = process.hrtime.bigint();
  const ready = allAvailable(c, ns, names, N.podsEach);
  for (const name of names) await c.apps.createNamespacedDeployment({ namespace: ns, body: deployment(name, N.podsEach) });
  await ready;
  const ms = msSince(start);
  const pods = (await c.core.listNamespacedPod({ namespace: ns })).items.filter((p) => p.status?.conditions?.some((x) => x.type === "Ready" && x.status === "True")).length;
  return { ms, pods };
}

function row(what: string, s: Summary): (string | number)[] {
  return [what, s.n, s.p50, s.p99, s.max];
}

async function main(): Promise<void> {
  const sim = await startKubeSim();
  const c = clients(sim);
  const rssBefore = process.memoryUsage().rss;
  try {
    progress(`kube-sim bench (${quick ? "quick" : "full"}): API latency on an idle simulator, ${N.ops} ops each`);
    const idle = await apiLatency(c, "default", "idle");
    progress(`Deployment of 10 pods to all Ready, ${N.rollouts} times`);
    const ten = await rollouts(c, "default");
    progress(`fleet: ${N.deployments} Deployments × ${N.podsEach} pods`);
    const f = await fleet(c, "fleet");
    progress(`fleet ready: ${f.pods} pods Ready in ${Math.round(f.ms)} ms; API latency with the fleet running`);
    await c.apps.createNamespacedDeployment({ namespace: "fleet", body: deployment("probe", 0) });
    const loaded = await apiLatency(c, "fleet", "loaded");
    const watch = await watchLatency(c, "fleet");
    const rows = [
      ...Object.entries(idle).map(([k, s]) => row(`${k} (idle)`, s)),
      row("Deployment of 10 pods → all Ready", ten),
      ...Object.entries(loaded).map(([k, s]) => row(`${k} (${f.pods} pods running)`, s)),
      row(`watch sees a patch (${f.pods} pods running)`, watch),
    ];
    process.stdout.write(`\n${markdownTable(["operation (ms)", "n", "p50", "p99", "max"], rows)}\n\n`);
    process.stdout.write(`fleet: ${N.deployments} Deployments, ${f.pods} pods Ready in ${Math.round(f.ms)} ms; RSS +${Math.round((process.memoryUsage().rss - rssBefore) / 1e6)} MB (simulator and client in one process)\n`);
  } finally {
    await sim.close();
  }
}

await main();
