import { readFileSync } from "node:fs";
import { basename } from "node:path";

// Sums a .cpuprofile's self time by function and by file (package): `pnpm exec tsx bench/prof-summary.ts
// <file.cpuprofile>... [--top N] [--skip-ms N]`. Where a service process spends its CPU, without
// DevTools; --skip-ms leaves out the first N ms (start-up: module loading, connections).

interface Node {
  id: number;
  callFrame: { functionName: string; url: string; lineNumber: number };
  children?: number[];
}
interface Profile {
  nodes: Node[];
  samples: number[];
  timeDeltas: number[];
  startTime: number;
  endTime: number;
}

const args = process.argv.slice(2);
const topAt = args.indexOf("--top");
const top = topAt >= 0 ? Number(args[topAt + 1]) : 25;
const skipAt = args.indexOf("--skip-ms");
const skipUs = skipAt >= 0 ? Number(args[skipAt + 1]) * 1000 : 0;
const files = args.filter((a, i) => !a.startsWith("--") && i !== topAt + 1 && i !== skipAt + 1);

function where(url: string): string {
  const m = /node_modules\/(?:\.pnpm\/[^/]+\/node_modules\/)?((?:@[^/]+\/)?[^/]+)/.exec(url);
  if (m) return m[1] as string;
  if (url.startsWith("node:")) return url;
  const local = /\/(packages|services)\/([^/]+)\//.exec(url);
  if (local) return `${local[1]}/${local[2]}`;
  return url === "" ? "(native/vm)" : basename(url);
}

function table(title: string, m: Map<string, number>, total: number): void {
  process.stdout.write(`\n${title}\n`);
  for (const [k, v] of [...m].sort((a, b) => b[1] - a[1]).slice(0, top)) {
    process.stdout.write(`${(v / 1000).toFixed(0).padStart(8)} ms ${((100 * v) / total).toFixed(1).padStart(5)}%  ${k}\n`);
  }
}

for (const file of files) {
  const p = JSON.parse(readFileSync(file, "utf8")) as Profile;
  const byId = new Map(p.nodes.map((n) => [n.id, n]));
  const self = new Map<number, number>();
  let t = 0;
  p.samples.forEach((id, i) => {
    t += p.timeDeltas[i] ?? 0;
    if (t >= skipUs) self.set(id, (self.get(id) ?? 0) + (p.timeDeltas[i] ?? 0));
  });
  const byFn = new Map<string, number>();
  const byFile = new Map<string, number>();
  let total = 0;
  let idle = 0;
  for (const [id, us] of self) {
    const n = byId.get(id) as Node;
    const fn = n.callFrame.functionName || "(anonymous)";
    if (fn === "(idle)") {
      idle += us;
      continue;
    }
    total += us;
    const key = `${fn} ${basename(n.callFrame.url)}:${n.callFrame.lineNumber + 1}`;
    byFn.set(key, (byFn.get(key) ?? 0) + us);
    const w = ["(garbage collector)", "(program)"].includes(fn) ? fn : where(n.callFrame.url);
    byFile.set(w, (byFile.get(w) ?? 0) + us);
  }
  process.stdout.write(`\n== ${basename(file)}: ${(total / 1000).toFixed(0)} ms busy, ${(idle / 1000).toFixed(0)} ms idle of ${((p.endTime - p.startTime - skipUs) / 1000).toFixed(0)} ms\n`);
  table("self time by package/file", byFile, total);
  table("self time by function", byFn, total);
}
