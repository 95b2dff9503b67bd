import { readFile } from "node:fs/promises";
import { join } from "node:path";
import { describe, expect, test } from "vitest";
import { parse } from "yaml";
import { Registry, collectDefaultMetrics } from "prom-client";
import { createMetrics } from "@baton/runtime";

// deploy/grafana charts and alerts on Baton's metrics: a panel or an alert on a metric the code
// does not export shows "No data" forever, and an alert on it never fires. Every metric name in
// every query must be one createMetrics() registers (histograms by their _bucket/_sum/_count).

const GRAFANA = join(import.meta.dirname, "../../../deploy/grafana");

interface Target {
  readonly expr: string;
}
interface Panel {
  readonly type: string;
  readonly title: string;
  readonly targets?: Target[];
  readonly gridPos: { x: number; y: number; w: number; h: number };
}
interface Dashboard {
  readonly uid: string;
  readonly panels: Panel[];
  readonly templating: { list: { name: string; type: string; definition?: string }[] };
}
interface Rule {
  readonly alert: string;
  readonly expr: string;
}

async function exported(): Promise<Set<string>> {
  const metrics = createMetrics();
  const names = new Set<string>();
  for (const m of await metrics.registry.getMetricsAsJSON()) {
    names.add(m.name);
    if (String(m.type) === "histogram") for (const s of ["_bucket", "_sum", "_count"]) names.add(`${m.name}${s}`);
  }
  return names;
}

/** Metric names in a PromQL expression: identifiers followed by `{` or standing where a series goes. */
function metricNames(expr: string): string[] {
  const stripped = expr.replace(/"(?:[^"\\]|\\.)*"/g, '""'); // label values are not names
  return [...stripped.matchAll(/\b(baton_[a-z0-9_]+)\b/g)].map((m) => m[1]!);
}

const dashboard = async () => JSON.parse(await readFile(join(GRAFANA, "baton-dashboard.json"), "utf8")) as Dashboard;
const rules = async () =>
  (parse(await readFile(join(GRAFANA, "alerts.yaml"), "utf8")) as { spec: { groups: { rules: Rule[] }[] } }).spec.groups.flatMap((g) => g.rules);

describe("the Grafana dashboard", () => {
  test("queries only metrics that createMetrics() registers, and every metric of Baton's own is on a panel", async () => {
    const names = await exported();
    const d = await dashboard();
    const queries = d.panels.flatMap((p) => (p.targets ?? []).map((t) => ({ panel: p.title, expr: t.expr })));
    expect(queries.length).toBeGreaterThan(20);
    const used = new Set<string>();
    for (const q of queries) {
      const found = metricNames(q.expr);
      expect(found.length, `${q.panel}: ${q.expr}`).toBeGreaterThan(0);
      for (const n of found) {
        expect(names.has(n), `${q.panel} queries ${n}, which no code exports`).toBe(true);
        used.add(n.replace(/_(bucket|sum|count)$/, ""));
      }
    }
    for (const v of d.templating.list.filter((x) => x.type === "query")) {
      for (const n of metricNames(v.definition ?? "")) expect(names.has(n), `variable ${v.name} on ${n}`).toBe(true);
    }
    const defaults = new Registry();
    collectDefaultMetrics({ register: defaults, prefix: "baton_" });
    const processMetrics = new Set((await defaults.getMetricsAsJSON()).map((m) => m.name));
    const own = [...names].filter((n) => !processMetrics.has(n) && !/_(bucket|sum|count)$/.test(n));
    expect(own.filter((n) => !used.has(n))).toEqual([]);
  });

  test("every query is filtered by the job and namespace variables; panels do not overlap", async () => {
    const d = await dashboard();
    expect(d.templating.list.map((v) => v.name)).toEqual(["datasource", "job", "namespace"]);
    for (const p of d.panels) {
      for (const t of p.targets ?? []) {
        for (const selector of t.expr.match(/baton_[a-z0-9_]+\{[^}]*\}/g) ?? []) {
          expect(selector, p.title).toContain('job=~"$job"');
          expect(selector, p.title).toContain('namespace=~"$namespace"');
        }
        expect(t.expr.match(/baton_[a-z0-9_]+(?!\{|[a-z0-9_])/g) ?? [], `${p.title}: a series without the selector`).toEqual([]);
      }
    }
    const cells = new Set<string>();
    for (const p of d.panels) {
      for (let x = p.gridPos.x; x < p.gridPos.x + p.gridPos.w; x++) {
        for (let y = p.gridPos.y; y < p.gridPos.y + p.gridPos.h; y++) {
          expect(cells.has(`${x},${y}`), `${p.title} overlaps another panel`).toBe(false);
          cells.add(`${x},${y}`);
        }
      }
    }
  });
});

describe("the alerts", () => {
  test("the four the README promises exist, and each queries metrics that exist", async () => {
    const names = await exported();
    const all = await rules();
    expect(all.map((r) => r.alert)).toEqual(expect.arrayContaining(["BatonDeadLetters", "BatonReleaseFailed", "BatonPostReleaseActivityFailed", "BatonTimersLate"]));
    for (const r of all) {
      const found = metricNames(r.expr);
      expect(found.length, r.alert).toBeGreaterThan(0);
      for (const n of found) expect(names.has(n), `${r.alert} queries ${n}`).toBe(true);
    }
    const byName = new Map(all.map((r) => [r.alert, r.expr]));
    expect(byName.get("BatonReleaseFailed")).toContain('outcome="failed"');
    expect(byName.get("BatonPostReleaseActivityFailed")).toContain('result="failed"');
    expect(byName.get("BatonTimersLate")).toMatch(/histogram_quantile\(0\.99,.*baton_timer_lateness_seconds_bucket.*\) > 1$/);
  });
});
