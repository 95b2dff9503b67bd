import type { AnyEvent, ReleaseState } from "@baton/contracts";
import type { Cluster } from "./lib/cluster.js";
import { progress, round, summarize, type Summary } from "./lib/stats.js";

// Orchestration overhead and throughput: releases with every delay at zero (the demo image is
// Ready at once, no tests, no warm-up, no shutdown delay, grace 0), so what is left is Baton.

/** A release of `app` that waits for nothing but Baton and kube-sim. */
export function instantSpec(app: string, version: string, namespace = "bench"): Record<string, unknown> {
  return {
    app,
    namespace,
    image: `baton.dev/demo-app:${version}`,
    replicas: 1,
    validation: { tests: [] },
    shutdown: { delaySeconds: 0, gracePeriodSeconds: 0 },
  };
}

export interface OverheadResult {
  readonly releases: number;
  readonly completed: number;
  readonly total: Summary;
  /** Time from each event to the next, by the event that ends the step. */
  readonly steps: Record<string, Summary>;
  readonly hops: number;
}

const ms = (a: AnyEvent, b: AnyEvent) => Date.parse(b.time) - Date.parse(a.time);

/** N releases of one app, one after another: every one after the first replaces a live v1. */
export async function measureOverhead(c: Cluster, n: number): Promise<OverheadResult> {
  await ensureNamespace(c, "bench");
  const totals: number[] = [];
  const steps: Record<string, number[]> = {};
  let completed = 0;
  let hops = 0;
  for (let i = 0; i <= n; i++) {
    const reply = await c.release(instantSpec("seq", `1.0.${i}`));
    if (!reply.ok) throw new Error(`release ${i} rejected: ${JSON.stringify(reply)}`);
    const end = await c.ended(reply.releaseId);
    if (end.phase !== "completed") throw new Error(`release ${i} ended ${end.phase}: ${end.outcome?.reason}`);
    if (i === 0) continue; // the first release has no v1: a different path, and it warms everything up
    completed++;
    const events = await c.rt.bus.releaseEvents(reply.releaseId);
    hops = events.length - 1;
    totals.push(ms(events[0] as AnyEvent, events.at(-1) as AnyEvent));
    for (let k = 1; k < events.length; k++) (steps[(events[k] as AnyEvent).name] ??= []).push(ms(events[k - 1] as AnyEvent, events[k] as AnyEvent));
    if (i % 20 === 0) progress(`overhead: ${i}/${n} releases, p50 so far ${round(summarize(totals).p50)} ms`);
  }
  return {
    releases: n,
    completed,
    total: summarize(totals),
    steps: Object.fromEntries(Object.entries(steps).map(([k, v]) => [k, summarize(v)])),
    hops,
  };
}

export interface ThroughputResult {
  readonly replicas: number;
  readonly releases: number;
  readonly completed: number;
  readonly seconds: number;
  readonly releasesPerSecond: number;
  readonly endToEnd: Summary;
}

/** N first releases of N different apps, submitted at once. */
export async function measureThroughput(c: Cluster, n: number, replicas: number, namespace: string): Promise<ThroughputResult> {
  await ensureNamespace(c, namespace);
  const started = Date.now();
  const ids = await Promise.all(
    Array.from({ length: n }, async (_, i) => {
      const reply = await c.release(instantSpec(`app${i}`, "1.0.0", namespace));
      if (!reply.ok) throw new Error(`release app${i} rejected: ${JSON.stringify(reply)}`);
      return reply.releaseId;
    }),
  );
  let done = 0;
  const ends = await Promise.all(
    ids.map(async (id) => {
      const s: ReleaseState = await c.ended(id, 600_000);
      if (++done % Math.max(1, Math.floor(n / 5)) === 0) progress(`throughput (${replicas} replica(s)): ${done}/${n} ended`);
      return s;
    }),
  );
  const seconds = (Date.now() - started) / 1000;
  const completed = ends.filter((s) => s.phase === "completed").length;
  return {
    replicas,
    releases: n,
    completed,
    seconds: round(seconds),
    releasesPerSecond: round(completed / seconds),
    endToEnd: summarize(ends.map((s) => Date.parse(s.updatedAt) - Date.parse(s.createdAt))),
  };
}

export async function ensureNamespace(c: Cluster, name: string): Promise<void> {
  await c.core.createNamespace({ body: { metadata: { name } } }).catch((err: { code?: number }) => {
    if (err.code !== 409) throw err;
  });
}
