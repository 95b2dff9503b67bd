import { randomBytes } from "node:crypto";
import { createServer, type Server } from "node:http";
import { mkdtemp, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, test } from "vitest";
import type { Browser, BrowserContext, Page } from "playwright-core";
import { stringify } from "yaml";
import { consoleService } from "@baton/console";
import { createLogger, startServices, type ServiceHandle } from "@baton/runtime";
import { freePort } from "@baton/runtime/testing";
import { names, startBaton, type Baton } from "../harness.js";
import { browserMissing, ensureWebBuilt, launch, screenshotDir, seriousViolations } from "./browser.js";
import { startOidcProvider, type TestProvider } from "./oidc.js";

// Issue 16, in a real browser (Debian's Chromium) against a running system — the test cluster, the
// five stages, the console, and a real OIDC provider: sign in through the provider, watch a release
// go through every phase live, promote it by clicking, a viewer sees no action and the server
// refuses one anyway, a rolled-back release shows its failed check, an analysis shows each metric's
// measurements against its condition as a chart (issue 14); every page passes axe-core with
// no serious violation. Screenshots of the run go to BATON_CONSOLE_SCREENSHOTS (docs/console).

// The page's globals the recorder uses when it runs in the browser (the tests compile without the DOM library).
declare const document: { querySelector(selector: string): { getAttribute(name: string): string | null } | null; body: unknown };
declare const MutationObserver: new (callback: () => void) => { observe(target: unknown, options: Record<string, boolean>): void };

const missing = browserMissing();
if (missing) process.stderr.write(`console browser tests skipped: ${missing}\n`);

let b: Baton;
let provider: TestProvider;
let web: ServiceHandle;
let browser: Browser;
let url = "";
let shots = "";

const VERSION_TEST = (v: string) => [{ name: "version", request: { path: "/version" }, expect: { status: 200, bodyContains: v } }];

beforeAll(async () => {
  if (missing) return;
  // loopback may be called by the web metric provider (the analysis test's metrics endpoint)
  const [dist] = await Promise.all([ensureWebBuilt(), (async () => (b = await startBaton({ logLevel: "warn", overrides: { BATON_WEBHOOK_ALLOWED_HOSTS: "127.0.0.1" } })))()]);
  const port = await freePort();
  url = `http://127.0.0.1:${port}`;
  provider = await startOidcProvider({
    redirectUri: `${url}/auth/callback`,
    people: {
      alice: { email: "alice@example.com", name: "Alice", groups: ["shop-operators"] },
      victor: { email: "victor@example.com", name: "Victor", groups: ["shop-viewers"] },
    },
  });
  const access = join(await mkdtemp(join(tmpdir(), "baton-console-e2e-")), "access.yaml");
  await writeFile(
    access,
    stringify({
      oidc: { issuer: provider.issuer, clientId: provider.clientId, name: "Test SSO" },
      roles: [
        { groups: ["shop-operators"], namespaces: [b.ns], role: "operator" },
        { groups: ["shop-viewers"], namespaces: [b.ns], role: "viewer" },
      ],
    }),
  );
  const env = {
    BATON_CONSOLE_PORT: String(port),
    BATON_CONSOLE_HOST: "127.0.0.1",
    BATON_CONSOLE_URL: url,
    BATON_CONSOLE_AUTH_FILE: access,
    BATON_CONSOLE_SESSION_SECRET: randomBytes(32).toString("hex"),
    BATON_CONSOLE_OIDC_CLIENT_SECRET: provider.clientSecret,
    BATON_CONSOLE_STATIC_DIR: dist,
  };
  web = await startServices(b.config, [consoleService({ env })], { name: "console", timerPump: false, http: false, log: createLogger({ service: "console", level: "warn" }) });
  browser = await launch();
  shots = await screenshotDir();
  // v1 is live before the tests start: the release they watch replaces it (so v1 drains and shuts down).
  await b.waitForEnd(await b.releaseOk({ image: "baton.dev/demo-app:1.0.0", replicas: 2, validation: { tests: VERSION_TEST("1.0.0") }, shutdown: { delaySeconds: 0, gracePeriodSeconds: 0 } }));
}, 120_000);

afterAll(async () => {
  await browser?.close();
  await web?.stop();
  await provider?.close();
  await b?.stop();
});

async function newPage(): Promise<{ context: BrowserContext; page: Page }> {
  const context = await browser.newContext({ viewport: { width: 1280, height: 900 } });
  return { context, page: await context.newPage() };
}

/** Signs in on the provider's pages (its development login: any password) and returns to the console. */
async function signIn(page: Page, login: string): Promise<void> {
  await page.goto(url);
  await page.getByRole("link", { name: "Sign in with Test SSO" }).click();
  await page.locator('input[name="login"]').fill(login);
  await page.locator('input[name="password"]').fill("any password");
  await page.locator('button[type="submit"]').click();
  await page.locator('button[type="submit"]').click(); // consent
  await page.waitForURL(`${url}/**`);
}

const phaseShown = (page: Page, phase: string) => page.locator(`.release-meta [data-phase="${phase}"]`).waitFor({ timeout: 60_000 });

async function expectAccessible(page: Page, what: string): Promise<void> {
  expect(await seriousViolations(page), what).toEqual([]);
}

describe.skipIf(missing !== undefined)(`the console in a browser${missing ? ` (skipped: ${missing})` : ""}`, () => {
  let alice: Page;

  test("signs in through the OIDC provider", async () => {
    ({ page: alice } = await newPage());
    await alice.goto(url);
    await expect.poll(() => alice.getByRole("heading", { name: "Sign in to Baton" }).count()).toBe(1);
    await expectAccessible(alice, "sign-in page");
    await alice.screenshot({ path: join(shots, "sign-in.png") });
    await signIn(alice, "alice");
    await alice.getByText("alice@example.com").first().waitFor();
    expect(await alice.locator("header.top .user").textContent()).toContain(`operator in ${b.ns}`);
  });

  test("a release started from the CLI appears at once and goes through every phase live; promoted by a click", { timeout: 120_000 }, async () => {
    await alice.goto(url);
    await alice.getByRole("heading", { name: "Releases" }).waitFor();
    // Record every phase the page shows, as it shows it (the page is never reloaded).
    await alice.evaluate(() => {
      const seen: string[] = ((globalThis as unknown as { phases: string[] }).phases = []);
      new MutationObserver(() => {
        const p = document.querySelector(".release-meta [data-phase]")?.getAttribute("data-phase");
        if (p && seen.at(-1) !== p) seen.push(p);
      }).observe(document.body, { subtree: true, childList: true, attributes: true, characterData: true });
    });
    const t0 = Date.now();
    const id = await b.releaseOk({
      image: "baton.dev/demo-app:2.0.0",
      replicas: 2,
      promotion: "manual",
      // Slow to start, with a readiness probe: the pods panel shows v2 coming up, the timeline a planned phase that lasts.
      template: { spec: { containers: [{ name: "app", env: [{ name: "DEMO_START_DELAY_MS", value: "1500" }], readinessProbe: { httpGet: { path: "/healthz", port: 8080 }, periodSeconds: 1 } }] } },
      validation: { tests: VERSION_TEST("2.0.0"), warmup: { requests: 200, concurrency: 4, paths: ["/"], maxErrorRate: 0.01 } },
      shutdown: { delaySeconds: 2, gracePeriodSeconds: 2 },
    });
    await alice.locator(`tr[data-release="${id}"]`).waitFor({ timeout: 5000 });
    process.stdout.write(`console: release ${id} listed ${Date.now() - t0} ms after its request was sent (target: within 1 s)\n`);
    await alice.locator(`tr[data-release="${id}"] th a`).click();
    await phaseShown(alice, "awaiting_promotion");
    await alice.locator(".pods-count").first().waitFor();
    await expectAccessible(alice, "release page, awaiting promotion");
    await alice.screenshot({ path: join(shots, "release-awaiting-promotion.png"), fullPage: true });

    await alice.getByRole("button", { name: "Promote" }).click();
    const dialog = alice.getByRole("dialog", { name: "Promote this release?" });
    await dialog.waitFor();
    await expectAccessible(alice, "confirmation dialog");
    await dialog.getByRole("button", { name: "Yes, promote" }).click();
    await phaseShown(alice, "completed");
    await alice.locator('tr[data-event="ReleaseCompleted"]').waitFor();

    const expected = ["ReleaseRequested", "ReleasePlanned", "PodsLive", "ValidationPassed", "PromotionApproved", "TrafficSwitched", "DrainDue", "DrainStarted", "ShutdownDue", "ReleaseCompleted"];
    expect(names(await b.events(id))).toEqual(expected);
    expect(await alice.locator("tr[data-event]").evaluateAll((rows) => rows.map((r) => r.getAttribute("data-event")))).toEqual(expected);
    const approved = (await b.events(id)).find((e) => e.name === "PromotionApproved");
    expect(approved).toMatchObject({ source: "baton/console", data: { by: "alice@example.com" } });
    expect(await alice.locator('tr[data-event="PromotionApproved"] .event-by').textContent()).toBe("alice@example.com");
    expect(await alice.locator(".release-meta").textContent()).toContain("promoted by alice@example.com");
    expect(await alice.locator("table.timeline tbody tr").evaluateAll((rows) => rows.map((r) => r.getAttribute("data-phase")))).toEqual([
      "requested", "planned", "validating", "awaiting_promotion", "promoting", "switched", "draining", "finalizing", "completed",
    ]);
    // Live: the page showed the phases one after the other, in the pipeline's order, without a reload.
    const live = await alice.evaluate(() => (globalThis as unknown as { phases: string[] }).phases);
    const order = ["requested", "planned", "validating", "awaiting_promotion", "promoting", "switched", "draining", "finalizing", "completed"];
    expect(live).toEqual(order.filter((p) => live.includes(p)));
    expect(live).toEqual(expect.arrayContaining(["planned", "validating", "awaiting_promotion", "switched", "draining", "completed"]));
    await alice.screenshot({ path: join(shots, "release-completed.png"), fullPage: true });
  });

  test("a viewer sees no action, and the server refuses one sent anyway", async () => {
    const id = await b.releaseOk({ image: "baton.dev/demo-app:3.0.0", replicas: 1, promotion: "manual", validation: { tests: VERSION_TEST("3.0.0") } });
    await b.waitForPhase(id, "awaiting_promotion");
    const { page: victor, context } = await newPage();
    await signIn(victor, "victor");
    await victor.goto(`${url}/releases/${id}`);
    await phaseShown(victor, "awaiting_promotion");
    expect(await victor.locator(".actions button").count()).toBe(0);
    expect(await victor.locator("header.top .user").textContent()).toContain(`viewer in ${b.ns}`);
    const refused = await victor.evaluate(async (releaseId) => {
      const me = (await (await fetch("/api/me")).json()) as { csrfToken: string };
      const r = await fetch(`/api/releases/${releaseId}/actions/promote`, { method: "POST", headers: { "content-type": "application/json", "x-csrf-token": me.csrfToken }, body: "{}" });
      return { status: r.status, body: (await r.json()) as unknown };
    }, id);
    expect(refused).toEqual({ status: 403, body: { error: `promote needs the operator role in namespace ${b.ns} (you are viewer)` } });
    expect((await b.rt.store.get(id))?.state.phase).toBe("awaiting_promotion");
    // Alice's list shows it under "needs attention".
    await alice.goto(`${url}/?attention=true`);
    await alice.locator(`tr[data-release="${id}"]`).waitFor();
    await expectAccessible(alice, "needs-attention list");
    await alice.screenshot({ path: join(shots, "needs-attention.png"), fullPage: true });
    await context.close();
  });

  test("a rolled-back release shows the check that failed, expected against got, and the CloudEvent it was requested by", async () => {
    // requested by a CI system as a CloudEvent: its source, id and subject are kept and shown
    const data = { namespace: b.ns, app: "api", image: "baton.dev/demo-app:2.0.0", replicas: 1, validation: { tests: VERSION_TEST("9.9.9") } };
    const ce = { specversion: "1.0", id: "build-77", source: "https://ci.example.com/shop/api", subject: "main@4f2c1e0", type: "dev.baton.release.requested.v1", data };
    const reply = (await b.rt.bus.nc.request(b.rt.bus.subjects.intakeOf(b.ns), JSON.stringify(ce), { timeout: 10_000 })).json<{ ok: boolean; releaseId: string }>();
    expect(reply.ok).toBe(true);
    const id = reply.releaseId;
    await alice.goto(`${url}/releases/${id}`);
    await phaseShown(alice, "rolled_back");
    const row = alice.locator('table.failures tr[data-failure="version"]');
    await row.waitFor();
    const cells = await row.locator("td").allTextContents();
    expect(cells[0]).toContain("9.9.9");
    expect(cells[1]).toContain("2.0.0");
    expect(await alice.locator('table.checks tr[data-check="version"] .badge').textContent()).toBe("failed");
    expect(await alice.locator('tr[data-event="ReleaseRequested"] .event-via').textContent()).toBe("via https://ci.example.com/shop/api (build-77, main@4f2c1e0)");
    await expectAccessible(alice, "rolled-back release");
    await alice.screenshot({ path: join(shots, "release-rolled-back.png"), fullPage: true });
  });

  test("an analysis shows each metric's measurements against its condition, the failing one marked, in a chart", async () => {
    // Given a metrics endpoint whose error rate rises: 0.01, 0.02, then 0.4
    const rates = [0.01, 0.02, 0.4];
    let asked = 0;
    const metrics: Server = createServer((_req, res) => {
      res.writeHead(200, { "content-type": "application/json" });
      res.end(JSON.stringify({ errorRate: rates[Math.min(asked++, rates.length - 1)] }));
    });
    const port = await freePort();
    await new Promise<void>((r) => metrics.listen(port, "127.0.0.1", r));
    try {
      // When a release's pre-promotion analysis measures it every second
      const id = await b.releaseOk({
        app: "shop",
        image: "baton.dev/demo-app:2.0.0",
        replicas: 1,
        validation: { tests: VERSION_TEST("2.0.0") },
        analysis: { prePromotion: [{ name: "error-rate", web: { url: `http://127.0.0.1:${port}/rate`, jsonPath: "$.errorRate" }, successCondition: "result < 0.1", interval: 1, count: 5 }] },
      });
      await alice.goto(`${url}/releases/${id}`);
      await phaseShown(alice, "rolled_back");
      // Then the chart has the three measurements in order, two successful and the failing one, and the threshold
      const chart = alice.locator('figure[data-series="prePromotion/error-rate"]');
      await chart.locator("circle.point").nth(2).waitFor();
      expect(await chart.locator("circle.point").evaluateAll((cs) => cs.map((c) => c.getAttribute("data-verdict")))).toEqual(["successful", "successful", "failed"]);
      expect(await chart.locator(".threshold").getAttribute("data-threshold")).toBe("0.1");
      // the failing point sits above the threshold line, the others below it (SVG y grows downwards)
      const ys = await chart.locator("circle.point").evaluateAll((cs) => cs.map((c) => Number(c.getAttribute("cy"))));
      const line = Number(await chart.locator(".threshold line").getAttribute("y1"));
      expect([ys[0]! > line, ys[1]! > line, ys[2]! < line]).toEqual([true, true, true]);
      expect(await chart.locator(".analysis-last").textContent()).toBe("error-rate: 0.4 did not pass result < 0.1");
      expect(await chart.locator("svg").getAttribute("aria-label")).toBe("error-rate before the switch: 3 measurements against success: result < 0.1; last: error-rate: 0.4 did not pass result < 0.1");
      await expectAccessible(alice, "release with an analysis");
      await alice.screenshot({ path: join(shots, "release-analysis.png"), fullPage: true });
    } finally {
      await new Promise((r) => metrics.close(r));
    }
  });

  test("the list and an app's history read well and pass axe", async () => {
    await alice.goto(url);
    await alice.locator("table.releases tbody tr").nth(3).waitFor();
    await expectAccessible(alice, "releases list");
    await alice.screenshot({ path: join(shots, "releases.png"), fullPage: true });
    await alice.goto(`${url}/apps/${b.ns}/web`);
    await alice.locator("ol.history li").nth(2).waitFor();
    await expectAccessible(alice, "app page");
    await alice.screenshot({ path: join(shots, "app.png"), fullPage: true });
  });
});
