import { createServer, type IncomingHttpHeaders, type Server } from "node:http";
import { mkdtemp, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, test } from "vitest";
import { stringify } from "yaml";
import type { EventName } from "@baton/contracts";
import { releaseEvents, specInput } from "@baton/contracts/testing";
import { createLogger, emit, startServices, type ServiceHandle } from "@baton/runtime";
import { openTestRuntime, testConfig, waitFor, type TestRuntime } from "@baton/runtime/testing";
import { notifierService } from "../src/index.js";

// The notifier against a local receiver, real NATS and Redis: the right triggers reach the right
// subscribers with the release's app, version, phase, reason and console link; a receiver that
// fails is tried again with backoff and gets each notification once it answers (the same
// Idempotency-Key each time); one that never answers is given up on and counted.

interface Received {
  readonly path: string;
  readonly headers: IncomingHttpHeaders;
  readonly body: Record<string, unknown>;
}

let server: Server;
let base = "";
const received: Received[] = [];
/** How many more requests to each path are answered 503 before 200 (a flaky receiver). */
const failNext = new Map<string, number>([["/flaky", 2]]);

let rt: TestRuntime;
let notifier: ServiceHandle;

beforeAll(async () => {
  server = createServer((req, res) => {
    let text = "";
    req.on("data", (c: Buffer) => (text += c.toString()));
    req.on("end", () => {
      const path = req.url ?? "/";
      received.push({ path, headers: req.headers, body: JSON.parse(text) as Record<string, unknown> });
      const left = failNext.get(path) ?? 0;
      if (path === "/gone") return void res.writeHead(404).end();
      if (path === "/down") return void res.writeHead(500).end();
      if (left > 0) {
        failNext.set(path, left - 1);
        return void res.writeHead(503).end();
      }
      res.writeHead(200).end("ok");
    });
  });
  await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
  const a = server.address();
  base = `http://127.0.0.1:${typeof a === "object" && a !== null ? a.port : 0}`;
  const file = join(await mkdtemp(join(tmpdir(), "baton-notifier-")), "notifier.yaml");
  await writeFile(
    file,
    stringify({
      consoleUrl: "https://baton.example.com",
      targets: [
        { name: "shop-slack", kind: "slack", urlFromEnv: "TEST_SLACK_URL" },
        { name: "audit", kind: "webhook", url: `${base}/audit`, headersFromEnv: { Authorization: "TEST_AUDIT_AUTH" } },
        { name: "flaky", kind: "webhook", url: `${base}/flaky` },
        { name: "gone", kind: "webhook", url: `${base}/gone` },
        { name: "down", kind: "webhook", url: `${base}/down` },
      ],
      subscriptions: [
        { targets: ["shop-slack"], namespaces: ["shop"], apps: ["web"], triggers: ["released", "rolled_back", "awaiting_promotion", "switched_back"] },
        { targets: ["audit"], namespaces: ["*"], triggers: ["released", "rolled_back", "failed", "dead_letter"] },
        { targets: ["flaky", "gone", "down"], namespaces: ["flaky"], triggers: ["released"] },
      ],
      templates: { rolled_back: "{{app}} {{version}} is back on the previous revision: {{reason}} ({{url}})" },
    }),
  );
  const config = testConfig({ BATON_LOG_LEVEL: process.env.BATON_TEST_LOG_LEVEL ?? "silent" });
  rt = await openTestRuntime("notifier-test", config);
  notifier = await startServices(config, [notifierService({ env: { BATON_NOTIFIER_CONFIG: file, BATON_NOTIFIER_MAX_ATTEMPTS: "3", TEST_SLACK_URL: `${base}/slack`, TEST_AUDIT_AUTH: "Bearer audit-secret" } })], {
    name: "notifier",
    timerPump: false,
    http: false,
    log: createLogger({ service: "notifier", level: config.BATON_LOG_LEVEL }),
  });
});

afterAll(async () => {
  await notifier?.stop();
  await rt?.cleanup();
  server?.close();
});

/** Writes events of a release as the stages would. */
async function run(releaseId: string, names: [EventName, Record<string, unknown>][], spec: Record<string, unknown> = {}): Promise<void> {
  const s = specInput({ image: "registry.example.com/shop/web:2.4.1", ...spec });
  const ev = releaseEvents(releaseId, s.app, s.namespace, Date.now());
  for (const [name, data] of [["ReleaseRequested", { spec: s }] as [EventName, Record<string, unknown>], ...names]) {
    const r = await emit(rt, "test", ev(name, data as never) as never);
    if (!r.emitted) throw new Error(`${name}: ${r.reason}`);
  }
}

const toPath = (path: string) => received.filter((r) => r.path === path);
const COMPLETE: [EventName, Record<string, unknown>][] = [
  ["ReleasePlanned", { revision: 3, previousRevision: null, fence: 1 }],
  ["PodsLive", { revision: 3, ready: 2, desired: 2 }],
  ["ValidationPassed", { revision: 3, checks: [], warmup: null }],
  ["TrafficSwitched", { from: null, to: 3, endpoints: 2 }],
  ["ReleaseCompleted", { revision: 3, previousRevision: null, forcedPods: 0, postRelease: [] }],
];

describe("notifications", () => {
  test("a released app: Slack gets a message with version and console link, the webhook gets the release as JSON", async () => {
    await run("rel-ok", COMPLETE);
    const slack = await waitFor("the Slack message", () => toPath("/slack").find((r) => String(r.body.text).includes("released")));
    expect(slack.body).toEqual({ text: ":white_check_mark: shop/web 2.4.1 released (revision 3). https://baton.example.com/releases/rel-ok" });
    expect(slack.headers["idempotency-key"]).toBe("rel-ok:completed:released:shop-slack");
    const audit = await waitFor("the audit webhook", () => toPath("/audit").find((r) => r.body.trigger === "released"));
    expect(audit.headers.authorization).toBe("Bearer audit-secret");
    expect(audit.body).toMatchObject({
      trigger: "released",
      url: "https://baton.example.com/releases/rel-ok",
      release: { releaseId: "rel-ok", namespace: "shop", app: "web", version: "2.4.1", revision: 3, phase: "completed" },
      event: { id: "rel-ok:completed", name: "ReleaseCompleted" },
    });
  });

  test("a manual release that passed validation asks for promotion; a rolled-back one says why, with the team's template", async () => {
    await run("rel-wait", COMPLETE.slice(0, 3), { promotion: "manual" });
    await waitFor("awaiting promotion", () => toPath("/slack").find((r) => String(r.body.text).includes("waits for promotion")));
    await run("rel-bad", [
      ["ReleasePlanned", { revision: 4, previousRevision: 3, fence: 2 }],
      ["PodsLive", { revision: 4, ready: 2, desired: 2 }],
      ["ValidationFailed", { revision: 4, checks: [], warmup: null, failures: [{ name: "version", expected: "body contains 2.4.1", got: "2.4.0" }] }],
      ["ReleaseRolledBack", { revision: 4, reason: "validation failed", failures: [] }],
    ]);
    const back = await waitFor("rolled back", () => toPath("/slack").find((r) => String(r.body.text).includes("previous revision")));
    expect(back.body.text).toBe("web 2.4.1 is back on the previous revision: validation failed: version (https://baton.example.com/releases/rel-bad)");
    // Subscriptions decide: an auto release of another app in shop is not Slack's business.
    await run("rel-other", COMPLETE, { app: "api" });
    await waitFor("the audit webhook for api", () => toPath("/audit").find((r) => (r.body.release as { app?: string }).app === "api"));
    expect(toPath("/slack").filter((r) => String(r.body.text).includes("shop/api"))).toEqual([]);
  });

  test("a flaky receiver gets it after retries with the same key; a 404 is given up at once, a 500 after the last attempt; failures are counted", async () => {
    await run("rel-flaky", COMPLETE, { namespace: "flaky" });
    await waitFor("the flaky receiver's success", () => (failNext.get("/flaky") === 0 && toPath("/flaky").length >= 3 ? true : undefined), 20_000);
    const keys = toPath("/flaky").map((r) => r.headers["idempotency-key"]);
    expect(new Set(keys)).toEqual(new Set(["rel-flaky:completed:released:flaky"]));
    await waitFor("the 500 receiver tried 3 times", () => (toPath("/down").length >= 3 ? true : undefined), 20_000);
    const metrics = await notifier.rt.metrics.registry.getSingleMetricAsString("baton_notifications_total");
    await waitFor("failed counted", async () => /result="failed"[^\n]*target="down"|target="down"[^\n]*result="failed"/.test(await notifier.rt.metrics.registry.getSingleMetricAsString("baton_notifications_total")) || undefined);
    expect(metrics).toMatch(/trigger="released",target="gone",result="failed"} 1/);
    // Each receiver got the release once it had answered 2xx: no second copy to the ones that succeeded.
    expect(toPath("/gone")).toHaveLength(1);
    expect(toPath("/flaky").length).toBe(3);
    expect(toPath("/down")).toHaveLength(3);
  });

  test("a dead letter is announced with the stage, the event and the error", async () => {
    const letter = { stage: "validator", event: "PodsLive", subject: "x", streamSeq: 42, attempts: 5, error: "preview unreachable", kind: "retries_exhausted", at: new Date().toISOString(), payload: JSON.stringify({ data: { releaseId: "rel-ok", namespace: "shop", app: "web" } }) };
    await rt.bus.js.publish(rt.bus.subjects.deadLetter("validator", "PodsLive"), JSON.stringify(letter));
    const got = await waitFor("the dead-letter notification", () => toPath("/audit").find((r) => r.body.trigger === "dead_letter"));
    expect(got.body).toMatchObject({ text: expect.stringContaining("validator gave up on PodsLive of shop/web after 5 tries: preview unreachable"), deadLetter: { stage: "validator", event: "PodsLive", attempts: 5 } });
    expect(got.headers["idempotency-key"]).toBe("dead-letter:validator:PodsLive:42:dead_letter:audit");
  });
});
