import { execFileSync } from "node:child_process";
import { resolve } from "node:path";
import { startCluster } from "./lib/cluster.js";
import { progress } from "./lib/stats.js";
import { measureOverhead, measureThroughput } from "./pipeline.js";

// `BENCH_CPU_PROF=1 tsx --conditions=source bench/profile.ts [overhead N] [throughput N] [replicas]`: one
// cluster, only the pipeline figures, so the service processes' profiles show a hop's cost and
// nothing else. Without BENCH_CPU_PROF it is a fast way to re-measure the two figures (or to compare
// settings: BENCH_SERVICE_ENV='{"BATON_CONCURRENCY":"64"}' adds to the services' environment).

const [overheadN = 100, throughputN = 300, replicas = 1] = process.argv.slice(2).filter((a) => !a.startsWith("--")).map(Number);
if (!process.argv.includes("--no-build")) execFileSync("pnpm", ["-s", "build"], { cwd: resolve(import.meta.dirname, ".."), stdio: "inherit" });
const c = await startCluster({ replicas, env: JSON.parse(process.env.BENCH_SERVICE_ENV ?? "{}") as Record<string, string> });
try {
  const o = await measureOverhead(c, overheadN);
  progress(`overhead: p50 ${o.total.p50} ms, p99 ${o.total.p99} ms; steps ${JSON.stringify(Object.fromEntries(Object.entries(o.steps).map(([k, s]) => [k, s.p50])))}`);
  if (throughputN > 0) {
    const t = await measureThroughput(c, throughputN, replicas, "tp1");
    progress(`throughput: ${t.completed}/${t.releases} in ${t.seconds} s = ${t.releasesPerSecond}/s`);
  }
  progress(`peak RSS: ${JSON.stringify(await c.peakRssMb())}`);
} finally {
  await c.stop();
}
process.exit(0);
