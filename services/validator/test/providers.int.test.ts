import { createServer, type Server } from "node:http";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { freePort, startPrometheusServer, type ServerProcess } from "@baton/runtime/testing";
import { queryPrometheus } from "../src/analysis/prometheus.js";
import { queryWeb } from "../src/analysis/web.js";
import { atJsonPath } from "../src/analysis/json-path.js";

// Issue 14: the analysis providers against a real Prometheus (Debian's package, on a free port)
// and a real JSON endpoint: what each answer reads as — a value, no data, or an error that says why.

let prom: ServerProcess;
let web: Server;
let webUrl: string;
const never = new AbortController().signal;

beforeAll(async () => {
  prom = await startPrometheusServer();
  for (let i = 0; i < 200 && !(await fetch(`${prom.url}/-/ready`).then((r) => r.ok, () => false)); i++) await new Promise((r) => setTimeout(r, 50));
  web = createServer((req, res) => {
    if (req.url === "/down") return res.writeHead(503).end("busy");
    if (req.url === "/html") return res.writeHead(200, { "content-type": "text/html" }).end("<html>");
    res.writeHead(200, { "content-type": "application/json" }).end(JSON.stringify({ data: { items: [{ rate: 0.5 }], empty: null }, echo: req.headers["x-key"] ?? null }));
  });
  const port = await freePort();
  await new Promise<void>((r) => web.listen(port, "127.0.0.1", r));
  webUrl = `http://127.0.0.1:${port}`;
}, 30_000);

afterAll(async () => {
  await prom?.kill("SIGTERM");
  await new Promise((r) => web?.close(r));
});

describe("Prometheus instant queries", () => {
  it("a vector is the list of its samples' values, a scalar its value", async () => {
    expect(await queryPrometheus(prom.url, 'vector(0.25) or label_replace(vector(0.5), "x", "y", "", "")', 5000, never)).toEqual({ kind: "value", value: [0.25, 0.5] });
    expect(await queryPrometheus(prom.url, "scalar(vector(3))", 5000, never)).toEqual({ kind: "value", value: 3 });
  });

  it("no data: an empty vector, NaN (0/0: no traffic) — never an error", async () => {
    expect(await queryPrometheus(prom.url, 'demo_http_requests_total{app="nothing"}', 5000, never)).toEqual({ kind: "no-data", why: "the query matched no series" });
    expect(await queryPrometheus(prom.url, "vector(0) / vector(0)", 5000, never)).toEqual({ kind: "no-data", why: "every sample is NaN (no traffic in the window?)" });
    expect(await queryPrometheus(prom.url, "scalar(vector(0) / vector(0))", 5000, never)).toEqual({ kind: "no-data", why: "the query returned NaN" });
  });

  it("errors say why: a bad query (Prometheus' own words), a range vector, nothing listening", async () => {
    const bad = await queryPrometheus(prom.url, "sum(", 5000, never);
    expect(bad).toMatchObject({ kind: "error", error: expect.stringMatching(new RegExp(`^Prometheus at ${prom.url}: HTTP 400, bad_data: .*parse error`)) });
    expect(await queryPrometheus(prom.url, "up[1m]", 5000, never)).toEqual({
      kind: "error",
      error: "the query returns a range vector: analysis needs an instant vector or a scalar (e.g. rate(x[1m]), not x[1m])",
    });
    const dead = `http://127.0.0.1:${await freePort()}`;
    expect(await queryPrometheus(dead, "up", 5000, never)).toMatchObject({ kind: "error", error: expect.stringMatching(new RegExp(`^Prometheus at ${dead}: ECONNREFUSED`)) });
  });
});

describe("web metrics", () => {
  it("picks the value at the JSON path, sends the headers; nothing or null there is no data", async () => {
    const call = { url: `${webUrl}/slo`, method: "GET" as const, headers: { "x-key": "k" }, jsonPath: "$.data.items[0].rate" };
    expect(await queryWeb(call, 5000, never)).toEqual({ kind: "value", value: 0.5 });
    expect(await queryWeb({ ...call, jsonPath: "$.echo" }, 5000, never)).toEqual({ kind: "value", value: "k" });
    expect(await queryWeb({ ...call, jsonPath: "$.data.empty" }, 5000, never)).toEqual({ kind: "no-data", why: "nothing at $.data.empty" });
    expect(await queryWeb({ ...call, jsonPath: "$.data.items[3]" }, 5000, never)).toEqual({ kind: "no-data", why: "nothing at $.data.items[3]" });
  });

  it("a non-2xx answer or a body that is not JSON is an error", async () => {
    const call = { method: "GET" as const, headers: {}, jsonPath: "$" };
    expect(await queryWeb({ ...call, url: `${webUrl}/down` }, 5000, never)).toEqual({ kind: "error", error: `${webUrl}/down answered HTTP 503` });
    expect(await queryWeb({ ...call, url: `${webUrl}/html` }, 5000, never)).toEqual({ kind: "error", error: `${webUrl}/html did not answer JSON` });
  });

  it("JSON paths: $, fields, indexes; never the prototype", () => {
    expect(atJsonPath({ a: [1, { b: 2 }] }, "$.a[1].b")).toBe(2);
    expect(atJsonPath([7], "$[0]")).toBe(7);
    expect(atJsonPath({ a: 1 }, "$")).toEqual({ a: 1 });
    expect(atJsonPath({}, "$.constructor")).toBeUndefined();
  });
});
