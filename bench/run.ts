import { execFileSync } from "node:child_process";
import { mkdir, writeFile } from "node:fs/promises";
import { cpus, totalmem } from "node:os";
import { join, resolve } from "node:path";
import { createLogger } from "@baton/runtime";
import { openTestRuntime } from "@baton/runtime/testing";
import { measureFloor } from "./floor.js";
import { startCluster } from "./lib/cluster.js";
import { markdownTable, progress, round } from "./lib/stats.js";
import { measureOverhead, measureThroughput } from "./pipeline.js";
import { measureSwitch } from "./switch.js";
import { measureSwitchBack, startBadMetric, type SwitchBackResult } from "./switch-back.js";
import { measureTimers } from "./timers.js";

// `pnpm bench [--quick]`: every figure beside the floor measured in the same run, written to
// bench/results/latest.json (stable keys, for run-to-run comparison) and latest.md.

const quick = process.argv.includes("--quick");
const N = quick
  ? { hops: 500, overhead: 20, switchBacks: 5, throughput: 50, switchRate: 500, settleMs: 1500, timers: 2000, timerSpreadMs: 2000 }
  : { hops: 3000, overhead: 200, switchBacks: 30, throughput: 500, switchRate: 2000, settleMs: 3000, timers: 10_000, timerSpreadMs: 5000 };

const OUT = resolve(import.meta.dirname, "results");

async function main(): Promise<void> {
  const startedAt = new Date();
  progress("building (pnpm build): the services run compiled, as in the image");
  execFileSync("pnpm", ["-s", "build"], { cwd: resolve(import.meta.dirname, ".."), stdio: "inherit" });
  progress(`Baton benchmarks (${quick ? "quick" : "full"}): ${cpus().length} cores, Node ${process.version}`);

  const rt = await openTestRuntime("bench-floor", undefined, createLogger({ service: "bench", level: "silent" }));
  progress(`floor: ${N.hops} hand-made hops (publish with dedup id → durable consumer → Redis CAS → ack)`);
  const floor = await measureFloor(rt, N.hops);
  progress(`floor: hop p50 ${floor.hop.p50} ms, p99 ${floor.hop.p99} ms`);
  progress(`timers: ${N.timers} deadlines due over ${N.timerSpreadMs} ms, one pump`);
  const timers = await measureTimers(rt, N.timers, N.timerSpreadMs);
  progress(`timers: ${timers.fired}/${timers.count} fired, lateness p50 ${timers.lateness.p50} ms, p99 ${timers.lateness.p99} ms`);
  await rt.cleanup();

  progress("starting kube-sim and one process per stage");
  const badMetric = await startBadMetric(); // the web metric the switch-back releases measure
  const one = await startCluster({ replicas: 1, env: { BATON_WEBHOOK_ALLOWED_HOSTS: badMetric.host } });
  let overhead, throughput1, switched, rss1;
  let switchBack: SwitchBackResult | undefined;
  try {
    progress(`overhead: ${N.overhead} sequential releases of one app, every delay zero`);
    overhead = await measureOverhead(one, N.overhead);
    progress(`overhead: request → completed p50 ${overhead.total.p50} ms, p99 ${overhead.total.p99} ms over ${overhead.hops} hops`);
    progress(`switch: production load at ${N.switchRate} req/s while v2 is released`);
    switched = await measureSwitch(one, N.switchRate, N.settleMs);
    progress(`switch: ${switched.failedRequests} failed of ${switched.requests}; v2 served ${switched.propagationMs} ms after ValidationPassed`);
    progress(`switch-back: ${N.switchBacks} releases whose post-promotion analysis fails at its first measurement`);
    switchBack = await measureSwitchBack(one, N.switchBacks, badMetric.url);
    progress(`switch-back: failing measurement → TrafficSwitchedBack p50 ${switchBack.toSwitchedBack.p50} ms, p99 ${switchBack.toSwitchedBack.p99} ms`);
    progress(`throughput: ${N.throughput} releases of different apps at once, 1 replica per stage`);
    throughput1 = await measureThroughput(one, N.throughput, 1, "tp1");
    rss1 = await one.peakRssMb();
    progress(`throughput: ${throughput1.completed}/${throughput1.releases} completed, ${throughput1.releasesPerSecond}/s`);
  } finally {
    await one.stop();
    await badMetric.close();
  }
  if (switchBack === undefined) throw new Error("the switch-back was not measured");
  progress("starting two processes per stage");
  const two = await startCluster({ replicas: 2 });
  let throughput2, rss2;
  try {
    throughput2 = await measureThroughput(two, N.throughput, 2, "tp2");
    rss2 = await two.peakRssMb();
    progress(`throughput: ${throughput2.completed}/${throughput2.releases} completed, ${throughput2.releasesPerSecond}/s with 2 replicas`);
  } finally {
    await two.stop();
  }

  const floorHops = overhead.hops * floor.hop.p50;
  const rssAll = { ...rss1, ...Object.fromEntries(Object.entries(rss2).map(([k, v]) => [`${k} (2 replicas)`, v])) };
  const results = {
    date: startedAt.toISOString(),
    quick,
    machine: { cores: cpus().length, memoryGb: Math.round(totalmem() / 2 ** 30), node: process.version, platform: process.platform },
    floor: { hopP50Ms: floor.hop.p50, hopP99Ms: floor.hop.p99, hops: floor.hop.n },
    overhead: {
      releases: overhead.completed,
      hopsPerRelease: overhead.hops,
      p50Ms: overhead.total.p50,
      p99Ms: overhead.total.p99,
      ratioToFloor: round(overhead.total.p50 / floorHops),
      steps: overhead.steps,
    },
    throughput: {
      releases: throughput1.releases,
      releasesPerSecond: throughput1.releasesPerSecond,
      completed: throughput1.completed,
      endToEnd: throughput1.endToEnd,
      twoReplicas: { releasesPerSecond: throughput2.releasesPerSecond, completed: throughput2.completed, endToEnd: throughput2.endToEnd },
    },
    switch: {
      ratePerSecond: switched.ratePerSecond,
      requests: switched.requests,
      failedRequests: switched.failedRequests,
      propagationMs: switched.propagationMs,
      keepAlivePropagationMs: switched.keepAlivePropagationMs,
      latencyMs: switched.latency,
      releaseMs: switched.releaseMs,
    },
    switchBack: {
      releases: switchBack.releases,
      hops: switchBack.hops,
      toSwitchedBackP50Ms: switchBack.toSwitchedBack.p50,
      toSwitchedBackP99Ms: switchBack.toSwitchedBack.p99,
      toRolledBackP50Ms: switchBack.toRolledBack.p50,
      toRolledBackP99Ms: switchBack.toRolledBack.p99,
      ratioToFloor: round(switchBack.toSwitchedBack.p50 / (switchBack.hops * floor.hop.p50)),
    },
    timers: { count: timers.count, fired: timers.fired, latenessP50Ms: timers.lateness.p50, latenessP99Ms: timers.lateness.p99 },
    rss: { maxMb: Math.max(...Object.values(rssAll)), byProcess: rssAll },
  };
  await mkdir(OUT, { recursive: true });
  await writeFile(join(OUT, "latest.json"), `${JSON.stringify(results, null, 2)}\n`);
  await writeFile(join(OUT, "latest.md"), report(results));
  process.stdout.write(`${report(results)}\n`);
}

function report(r: {
  date: string;
  quick: boolean;
  machine: { cores: number; node: string };
  floor: { hopP50Ms: number; hopP99Ms: number };
  overhead: { releases: number; hopsPerRelease: number; p50Ms: number; p99Ms: number; ratioToFloor: number; steps: Record<string, { p50: number; p99: number }> };
  throughput: { releases: number; releasesPerSecond: number; completed: number; twoReplicas: { releasesPerSecond: number; completed: number } };
  switch: { ratePerSecond: number; requests: number; failedRequests: number; propagationMs: number; keepAlivePropagationMs: number; latencyMs: Record<string, { p50: number; p99: number }> };
  switchBack: { releases: number; hops: number; toSwitchedBackP50Ms: number; toSwitchedBackP99Ms: number; toRolledBackP50Ms: number; toRolledBackP99Ms: number; ratioToFloor: number };
  timers: { count: number; latenessP50Ms: number; latenessP99Ms: number };
  rss: { maxMb: number; byProcess: Record<string, number> };
}): string {
  const f = r.floor.hopP50Ms;
  const x = (ms: number) => `${round(ms / f)}×`;
  const rows: (string | number)[][] = [
    ["floor: one hand-made hop", `${r.floor.hopP50Ms} / ${r.floor.hopP99Ms} ms`, "1×"],
    [`release request → completed (${r.overhead.releases} sequential, ${r.overhead.hopsPerRelease} hops)`, `${r.overhead.p50Ms} / ${r.overhead.p99Ms} ms`, `${r.overhead.ratioToFloor}× of ${r.overhead.hopsPerRelease} hops`],
    ...Object.entries(r.overhead.steps).map(([name, s]) => [`  step ending in ${name}`, `${s.p50} / ${s.p99} ms`, x(s.p50)]),
    [`throughput, ${r.throughput.releases} apps at once, 1 replica`, `${r.throughput.releasesPerSecond} releases/s (${r.throughput.completed} completed)`, ""],
    [`throughput, ${r.throughput.releases} apps at once, 2 replicas`, `${r.throughput.twoReplicas.releasesPerSecond} releases/s (${r.throughput.twoReplicas.completed} completed)`, ""],
    [`production traffic at ${r.switch.ratePerSecond}/s across the switch`, `${r.switch.failedRequests} failed of ${r.switch.requests}`, ""],
    ...Object.entries(r.switch.latencyMs).map(([when, s]) => [`  latency ${when} the release`, `${s.p50} / ${s.p99} ms`, ""]),
    ["ValidationPassed → first v2 response on a new connection", `${r.switch.propagationMs} ms`, x(r.switch.propagationMs)],
    ["ValidationPassed → first v2 response on the load's keep-alive connections", `${r.switch.keepAlivePropagationMs} ms`, "(v1 keeps them until it shuts down)"],
    [
      `failing post-promotion measurement → TrafficSwitchedBack (${r.switchBack.releases} releases, ${r.switchBack.hops} hops)`,
      `${r.switchBack.toSwitchedBackP50Ms} / ${r.switchBack.toSwitchedBackP99Ms} ms`,
      `${r.switchBack.ratioToFloor}× of ${r.switchBack.hops} hops`,
    ],
    ["  … → ReleaseRolledBack (v2 torn down)", `${r.switchBack.toRolledBackP50Ms} / ${r.switchBack.toRolledBackP99Ms} ms`, ""],
    [`timers: ${r.timers.count} pending, lateness`, `${r.timers.latenessP50Ms} / ${r.timers.latenessP99Ms} ms`, ""],
    ["peak RSS of a service process", `${r.rss.maxMb} MB`, ""],
  ];
  return [
    `Baton benchmarks, ${r.date} (${r.quick ? "quick" : "full"}), ${r.machine.cores} cores, Node ${r.machine.node}`,
    "",
    markdownTable(["what", "p50 / p99 (or value)", "ratio to the floor hop"], rows),
    "",
  ].join("\n");
}

await main().then(
  () => process.exit(0),
  (err: unknown) => {
    process.stderr.write(`bench failed: ${(err as Error).stack ?? String(err)}\n`);
    process.exit(1);
  },
);
