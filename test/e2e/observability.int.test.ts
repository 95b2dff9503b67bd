import { createServer, type IncomingMessage, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { headers } from "@nats-io/transport-node";
import { afterEach, describe, expect, test } from "vitest";
import { isTerminal, type AnyEvent, type Phase, type ReleaseState } from "@baton/contracts";
import type { IntakeReply } from "@baton/cli";
import { startBaton, testDatabase, type Baton } from "../harness.js";

// Issue 10, end to end: after a first and a second release through the five stages, what an
// operator sees — /metrics of the service process, the trace context on the events, the log
// lines — says exactly what happened, and holds no credential.

let baton: Baton | undefined;
const cleanups: (() => Promise<void>)[] = [];
afterEach(async () => {
  await baton?.stop();
  baton = undefined;
  for (const c of cleanups.splice(0).reverse()) await c();
});

const DB_PASSWORD = "Obs-Db-Pa55-9931";
const HOOK_TOKEN = "hook-tok-5c8e0d17aa";
const CALLER_TRACE = "4bf92f3577b34da6a3ce929d0e0e4736";

interface Sample {
  readonly name: string;
  readonly labels: Record<string, string>;
  readonly value: number;
}

/** The samples of a Prometheus text exposition (`name{a="b",…} value` lines). */
function parseMetrics(text: string): Sample[] {
  const out: Sample[] = [];
  for (const line of text.split("\n")) {
    const m = /^([a-zA-Z_:][\w:]*)(?:\{(.*)\})? (\S+)$/.exec(line);
    if (!m) continue;
    const labels: Record<string, string> = {};
    for (const [, k, v] of (m[2] ?? "").matchAll(/(\w+)="((?:[^"\\]|\\.)*)"/g)) labels[k!] = v!;
    out.push({ name: m[1]!, labels, value: Number(m[3]) });
  }
  return out;
}

const matches = (s: Sample, name: string, labels: Record<string, string>) =>
  s.name === name && Object.entries(labels).every(([k, v]) => s.labels[k] === v);

/** The sum of a metric's samples whose labels include these (0 when there is none). */
function sumOf(samples: readonly Sample[], name: string, labels: Record<string, string> = {}): number {
  return samples.filter((s) => matches(s, name, labels)).reduce((n, s) => n + s.value, 0);
}

function sampleOf(samples: readonly Sample[], name: string): Sample | undefined {
  return samples.find((s) => s.name === name);
}

async function webhookReceiver(): Promise<{ url: string; authorizations: string[]; server: Server }> {
  const authorizations: string[] = [];
  const server = createServer((req: IncomingMessage, res) => {
    authorizations.push(req.headers.authorization ?? "");
    req.resume().on("end", () => res.writeHead(204).end());
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  return { url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/released`, authorizations, server };
}

async function given(b: Baton, dbUrl: string): Promise<void> {
  const bound = { "baton.dev/app": "web" }; // Secrets a release of web may use (issue 22)
  for (const stage of ["planner", "reaper"] as const) await b.cluster.grantSecrets(stage, ["web-v1-db", "release-hook"]);
  await b.core.createNamespacedSecret({ namespace: b.ns, body: { metadata: { name: "web-v1-db", labels: bound }, stringData: { url: dbUrl } } });
  await b.core.createNamespacedSecret({ namespace: b.ns, body: { metadata: { name: "release-hook", labels: bound }, stringData: { token: HOOK_TOKEN } } });
}

// Pods listen on their own 127.x address; a port other than 8080 keeps them clear of any process
// on this machine bound to 0.0.0.0:8080 (a Baton health server with its default port, for one).
const PORT = 18080;

const v1 = {
  image: "baton.dev/demo-app:1.0.0",
  replicas: 2,
  port: PORT,
  validation: { tests: [{ name: "version", request: { path: "/version" }, expect: { status: 200, bodyContains: "1.0.0" } }], warmup: { requests: 20, concurrency: 4, paths: ["/"], maxErrorRate: 0 } },
};

function v2(hookUrl: string) {
  return {
    app: "web",
    namespace: "shop",
    image: "baton.dev/demo-app:2.0.0",
    replicas: 2,
    port: PORT,
    validation: { tests: [{ name: "version", request: { path: "/version" }, expect: { status: 200, bodyContains: "2.0.0" } }], warmup: { requests: 20, concurrency: 4, paths: ["/"], maxErrorRate: 0 } },
    shutdown: { delaySeconds: 1, gracePeriodSeconds: 1 },
    postRelease: [
      { name: "drop-v1-schema", sql: { connectionSecretRef: { name: "web-v1-db", key: "url" }, statements: ["DROP SCHEMA IF EXISTS web_v1 CASCADE"] } },
      { name: "notify", webhook: { url: hookUrl, bearerTokenSecretRef: { name: "release-hook", key: "token" } } },
    ],
  };
}

/** A release request as any system sends it: with its own W3C traceparent header. */
async function requestWithTrace(b: Baton, body: Record<string, unknown>, traceparent: string): Promise<string> {
  const h = headers();
  h.set("traceparent", traceparent);
  const reply = (await b.rt.bus.nc.request(b.rt.bus.subjects.intake, JSON.stringify(body), { timeout: 10_000, headers: h })).json<IntakeReply>();
  if (!reply.ok) throw new Error(`release rejected: ${JSON.stringify(reply)}`);
  return reply.releaseId;
}

async function scrape(b: Baton): Promise<{ text: string; samples: Sample[] }> {
  const res = await fetch(`http://127.0.0.1:${b.replicas[0]!.httpPort}/metrics`);
  expect(res.status).toBe(200);
  const text = await res.text();
  return { text, samples: parseMetrics(text) };
}

function traceIdOf(e: AnyEvent): string | undefined {
  return e.traceparent?.split("-")[1];
}

/** Phases a release passed through and left (each one observation of baton_phase_duration_seconds). */
function phasesLeft(states: readonly ReleaseState[]): Map<Phase, number> {
  const out = new Map<Phase, number>();
  for (const s of states) for (const p of Object.keys(s.enteredAt) as Phase[]) if (!isTerminal(p)) out.set(p, (out.get(p) ?? 0) + 1);
  return out;
}

describe("observability of a release", () => {
  test("after two releases: counters moved exactly, one trace per release across every event, handler lines carry their context, no credential anywhere", async () => {
    const db = await testDatabase(`baton_obs_${Date.now() % 1_000_000}`);
    cleanups.push(db.drop);
    await db.query("CREATE SCHEMA web_v1");
    const hook = await webhookReceiver();
    cleanups.push(() => new Promise((r) => hook.server.close(() => r())));
    baton = await startBaton({ overrides: { BATON_WEBHOOK_ALLOWED_HOSTS: "127.0.0.1" } });
    await given(baton, db.url.replace("postgres@", `postgres:${DB_PASSWORD}@`));

    // When a first release runs, then a second whose caller sent its own trace context
    const first = await baton.releaseOk(v1);
    const firstEnd = await baton.waitForEnd(first);
    const second = await requestWithTrace(baton, v2(hook.url), `00-${CALLER_TRACE}-00f067aa0ba902b7-01`);
    const secondEnd = await baton.waitForEnd(second);
    expect([firstEnd.phase, secondEnd.phase]).toEqual(["completed", "completed"]);
    expect(hook.authorizations).toEqual([`Bearer ${HOOK_TOKEN}`]); // the token did its job
    const firstEvents = await baton.events(first);
    const secondEvents = await baton.events(second);
    const { text, samples } = await scrape(baton);
    const at = (name: string, labels: Record<string, string> = {}) => sumOf(samples, name, labels);

    // Then the events and releases counters say two releases went through, exactly
    expect(at("baton_intake_requests_total", { result: "accepted" })).toBe(2);
    expect(at("baton_events_published_total", { stage: "intake", event: "ReleaseRequested" })).toBe(2);
    expect(at("baton_events_published_total", { stage: "planner", event: "ReleasePlanned" })).toBe(2);
    expect(at("baton_events_published_total", { stage: "traffic-switcher", event: "TrafficSwitched" })).toBe(2);
    expect(at("baton_events_published_total", { stage: "reaper", event: "ReleaseCompleted" })).toBe(2);
    // timers publish too; nothing was a duplicate of an earlier publish
    expect(at("baton_events_published_total", { stage: "timer", event: "DrainDue", outcome: "stored" })).toBe(1);
    expect(at("baton_events_published_total", { stage: "timer", event: "ShutdownDue", outcome: "stored" })).toBe(1);
    expect(at("baton_events_published_total", { outcome: "duplicate" })).toBe(0);
    expect(at("baton_events_consumed_total", { stage: "planner", event: "ReleaseRequested", outcome: "ack" })).toBe(2);
    expect(at("baton_events_consumed_total", { stage: "pod-manager", event: "ReleasePlanned", outcome: "ack" })).toBe(2);
    expect(at("baton_events_consumed_total", { stage: "validator", event: "PodsLive", outcome: "ack" })).toBe(2);
    expect(at("baton_events_consumed_total", { stage: "reaper", event: "ShutdownDue", outcome: "ack" })).toBe(1);
    expect(at("baton_releases_total", { outcome: "completed" })).toBe(2);
    expect(at("baton_releases_total")).toBe(2);
    expect(at("baton_dead_letters_total")).toBe(0);
    expect(at("baton_events_consumed_total", { outcome: "dead_letter" })).toBe(0);
    // every handled delivery is one handler-duration observation
    for (const [stage, event] of [["planner", "ReleaseRequested"], ["validator", "PodsLive"], ["reaper", "TrafficSwitched"]] as const) {
      expect(at("baton_handler_duration_seconds_count", { stage, event })).toBe(at("baton_events_consumed_total", { stage, event }));
    }
    // one phase-duration observation per phase each release passed through
    for (const [phase, count] of phasesLeft([firstEnd, secondEnd])) expect(at("baton_phase_duration_seconds_count", { phase }), phase).toBe(count);
    expect(at("baton_phase_duration_seconds_count", { phase: "draining" })).toBe(1); // only the second had a v1 to drain
    // the timers that fired (DrainDue, ShutdownDue of the second release) were each timed
    const timerEvents = secondEvents.filter((e) => e.source === "baton/timer").map((e) => e.name);
    expect(timerEvents).toEqual(["DrainDue", "ShutdownDue"]);
    expect(at("baton_timers_fired_total")).toBeGreaterThanOrEqual(timerEvents.length);
    expect(at("baton_timer_lateness_seconds_count")).toBe(at("baton_timers_fired_total"));
    // Kubernetes calls of every verb the release used, each by resource and result
    for (const [verb, resource] of [["create", "deployments"], ["create", "services"], ["patch", "services"], ["patch", "deployments/scale"], ["delete", "deployments"], ["get", "services"], ["get", "secrets"], ["list", "pods"], ["watch", "pods"]]) {
      expect(at("baton_kube_requests_total", { verb: verb!, resource: resource!, result: "ok" }), `${verb} ${resource}`).toBeGreaterThan(0);
    }
    expect(at("baton_kube_requests_total", { verb: "create", resource: "deployments" })).toBe((await baton.clientWrites()).filter((a) => a.verb === "create" && a.resource === "deployments").length);
    // the post-release activities, by kind and result
    expect(at("baton_post_release_activities_total", { kind: "sql", result: "ok" })).toBe(1);
    expect(at("baton_post_release_activities_total", { kind: "webhook", result: "ok" })).toBe(1);
    expect(at("baton_post_release_activities_total", { result: "failed" })).toBe(0);
    expect(sampleOf(samples, "baton_process_resident_memory_bytes")?.value).toBeGreaterThan(0);

    // Then each release is one trace across every event; the second is the caller's trace
    const firstTraces = new Set(firstEvents.map(traceIdOf));
    expect(firstTraces.size).toBe(1);
    expect([...firstTraces][0]).toMatch(/^[0-9a-f]{32}$/);
    expect(new Set(secondEvents.map(traceIdOf))).toEqual(new Set([CALLER_TRACE]));
    expect(secondEvents).toHaveLength(9);

    // Then every line a handler wrote names its release, app, namespace, stage, event and trace
    const lines = baton.logs.lines.map((l) => JSON.parse(l) as Record<string, unknown>);
    const handlerLines = lines.filter((l) => l.releaseId === second && l.eventId !== undefined);
    expect(new Set(handlerLines.map((l) => l.stage))).toEqual(new Set(["planner", "pod-manager", "validator", "traffic-switcher", "reaper"]));
    for (const l of handlerLines) expect(l).toMatchObject({ app: "web", namespace: "shop", traceId: CALLER_TRACE, eventId: expect.stringContaining(second) });
    // and a line about a release outside a handler is the intake's answer to its request
    const outside = lines.filter((l) => typeof l.releaseId === "string" && l.eventId === undefined);
    expect(outside.map((l) => l.msg)).toEqual(["intake: release requested", "intake: release requested"]);
    const activityLines = handlerLines.filter((l) => l.activity !== undefined);
    expect(activityLines.map((l) => l.activity).sort()).toEqual(["drop-v1-schema", "notify"]);

    // Then the DB password and the webhook token are in no log line, no event, no metric
    const raw = await baton.rt.bus.readAll(baton.rt.bus.subjects.eventsStream, baton.rt.bus.subjects.allEvents);
    for (const secret of [DB_PASSWORD, HOOK_TOKEN]) {
      expect(baton.logs.text()).not.toContain(secret);
      expect(raw.map((m) => m.data).join("\n")).not.toContain(secret);
      expect(text).not.toContain(secret);
    }
  });
});
