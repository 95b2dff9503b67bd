import { mkdir, mkdtemp, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, test } from "vitest";
import type { ConsoleMe, ReleaseDetail, ReleaseList, StreamMessage } from "@baton/contracts";
import { waitFor } from "@baton/runtime/testing";
import { TOKENS, http, seedRelease, sessionCookie, startTestConsole, type TestConsole } from "./support.js";

// The console's HTTP API against real NATS and Redis: who may see what, who may act, and that the
// server — not the page — enforces it; CSRF and origin checks on session requests; the live stream;
// secrets censored; the front end's cache headers.

let c: TestConsole;
let staticDir: string;

beforeAll(async () => {
  staticDir = await mkdtemp(join(tmpdir(), "baton-console-static-"));
  await mkdir(join(staticDir, "assets"));
  await writeFile(join(staticDir, "index.html"), "<!doctype html><title>Baton</title><script type=module src=/assets/app-abc123.js></script>");
  await writeFile(join(staticDir, "assets", "app-abc123.js"), `console.log(${JSON.stringify("x".repeat(2000))});`);
  c = await startTestConsole({ BATON_CONSOLE_STATIC_DIR: staticDir });
  await seedRelease(c.rt, "waiting-1", "awaiting_promotion");
  await seedRelease(c.rt, "done-1", "completed", { app: "api" });
  await seedRelease(c.rt, "billing-1", "awaiting_promotion", { namespace: "billing", app: "invoices" });
});

afterAll(async () => {
  await c?.stop();
});

const stateOf = async (id: string) => (await c.rt.store.get(id))?.state;
const controlEvents = async (id: string) => (await c.rt.bus.releaseEvents(id)).filter((e) => e.name === "PromotionApproved" || e.name === "AbortRequested");

describe("reading", () => {
  test("without credentials only the sign-in options answer", async () => {
    expect((await http(`${c.url}/api/auth`)).body).toEqual({ oidc: null, tokens: true });
    for (const path of ["/api/me", "/api/releases", "/api/releases/waiting-1", "/api/stream", "/api/dead-letters"]) {
      expect((await http(`${c.url}${path}`)).status, path).toBe(401);
    }
    expect((await http(`${c.url}/api/releases`, { token: "not-a-token" })).status).toBe(401);
  });

  test("a person sees the releases of the namespaces a role gives them, and nothing of others", async () => {
    const ids = async (token: string) => (await http<ReleaseList>(`${c.url}/api/releases`, { token })).body.releases.map((r) => r.releaseId).sort();
    expect(await ids(TOKENS.viewer)).toEqual(["done-1", "waiting-1"]);
    expect(await ids(TOKENS.stranger)).toEqual(["billing-1"]);
    expect(await ids(TOKENS.admin)).toEqual(["billing-1", "done-1", "waiting-1"]);
    expect((await http(`${c.url}/api/releases/waiting-1`, { token: TOKENS.stranger })).status).toBe(404);
    expect((await http(`${c.url}/api/apps/shop/web`, { token: TOKENS.stranger })).status).toBe(404);
  });

  test("filters by namespace, app, phase and needs attention", async () => {
    const list = async (q: string) => (await http<ReleaseList>(`${c.url}/api/releases?${q}`, { token: TOKENS.admin })).body;
    expect((await list("namespace=billing")).releases.map((r) => r.releaseId)).toEqual(["billing-1"]);
    expect((await list("app=api")).releases.map((r) => r.releaseId)).toEqual(["done-1"]);
    expect((await list("phase=completed")).releases.map((r) => r.releaseId)).toEqual(["done-1"]);
    const attention = await list("attention=true");
    expect(attention.releases.map((r) => [r.releaseId, r.attention])).toEqual(expect.arrayContaining([["waiting-1", ["awaiting_promotion"]], ["billing-1", ["awaiting_promotion"]]]));
    expect(attention.releases.map((r) => r.releaseId)).not.toContain("done-1");
    expect(attention.attention.map((a) => a.id)).toEqual(["awaiting_promotion", "inconclusive", "failed", "dead_letter"]);
    expect((await http(`${c.url}/api/releases?phase=sleeping`, { token: TOKENS.admin })).body).toEqual({ error: expect.stringMatching(/^phase: must be one of requested, /) });
  });

  test("a release's page data: its state, every event, who asked, and the actions open to the reader", async () => {
    const d = (await http<ReleaseDetail>(`${c.url}/api/releases/waiting-1`, { token: TOKENS.operator })).body;
    expect(d.release).toMatchObject({ releaseId: "waiting-1", namespace: "shop", app: "web", phase: "awaiting_promotion", version: "2.0.0", revision: 2, previousRevision: 1 });
    expect(d.requestedBy).toBe("ci");
    expect(d.events.map((e) => e.name)).toEqual(["ReleaseRequested", "ReleasePlanned", "PodsLive", "ValidationPassed"]);
    expect(d.validation?.checks).toEqual([{ name: "health", passed: true, expected: "status 200", got: "status 200", latencyMs: 3 }]);
    expect(d.actions.map((a) => a.id)).toEqual(["promote", "abort"]);
    const viewer = (await http<ReleaseDetail>(`${c.url}/api/releases/waiting-1`, { token: TOKENS.viewer })).body;
    expect(viewer.actions).toEqual([]);
    const ended = (await http<ReleaseDetail>(`${c.url}/api/releases/done-1`, { token: TOKENS.admin })).body;
    expect(ended.actions).toEqual([]);
  });

  test("an app's history lists its releases from the stream", async () => {
    const h = (await http<{ releases: { releaseId: string; phase: string }[] }>(`${c.url}/api/apps/shop/api`, { token: TOKENS.viewer })).body;
    expect(h.releases.map((r) => [r.releaseId, r.phase])).toEqual([["done-1", "completed"]]);
  });

  test("a value of an env var named like a credential never reaches a page", async () => {
    await seedRelease(c.rt, "secret-1", "validating", {
      app: "vault",
      template: { spec: { containers: [{ name: "app", env: [{ name: "DB_PASSWORD", value: "hunter2-very-secret" }, { name: "MODE", value: "fast" }] }] } },
    });
    const r = await http(`${c.url}/api/releases/secret-1`, { token: TOKENS.admin });
    const text = JSON.stringify(r.body);
    expect(text).not.toContain("hunter2-very-secret");
    expect(text).toContain('"DB_PASSWORD","value":"***"');
    expect(text).toContain('"MODE","value":"fast"');
  });
});

describe("acting", () => {
  test("a viewer is refused by the server, and nothing is sent", async () => {
    const r = await http(`${c.url}/api/releases/waiting-1/actions/promote`, { method: "POST", token: TOKENS.viewer, json: {} });
    expect(r.status).toBe(403);
    expect(r.body).toEqual({ error: "promote needs the operator role in namespace shop (you are viewer)" });
    expect((await stateOf("waiting-1"))?.phase).toBe("awaiting_promotion");
    expect(await controlEvents("waiting-1")).toEqual([]);
  });

  test("an operator of another namespace does not even find the release", async () => {
    const r = await http(`${c.url}/api/releases/waiting-1/actions/abort`, { method: "POST", token: TOKENS.stranger, json: {} });
    expect(r.status).toBe(404);
    expect(await controlEvents("waiting-1")).toEqual([]);
  });

  test("an action the phase does not allow is refused with the reason", async () => {
    const r = await http(`${c.url}/api/releases/done-1/actions/abort`, { method: "POST", token: TOKENS.admin, json: { reason: "late" } });
    expect(r.status).toBe(409);
    expect(r.body).toEqual({ error: "abort is not possible in phase completed (only in requested, planned, validating, analyzing, inconclusive, awaiting_promotion, promoting, verifying, switched)" });
    expect((await http(`${c.url}/api/releases/done-1/actions/explode`, { method: "POST", token: TOKENS.admin, json: {} })).status).toBe(404);
  });

  test("a session must send its CSRF token from the console's own origin", async () => {
    const signIn = await http<ConsoleMe>(`${c.url}/auth/token`, { method: "POST", json: { token: TOKENS.operator } });
    expect(signIn.status).toBe(200);
    const set = signIn.headers.getSetCookie().find((x) => x.startsWith("baton_session=")) ?? "";
    expect(set).toMatch(/; HttpOnly/);
    expect(set).toMatch(/; SameSite=Strict/);
    expect(set).not.toContain(TOKENS.operator);
    const cookie = sessionCookie(signIn.headers);
    const me = (await http<ConsoleMe>(`${c.url}/api/me`, { cookie })).body;
    expect(me).toMatchObject({ user: "olivia", via: "token", roles: [{ namespace: "shop", role: "operator" }] });
    const url = `${c.url}/api/releases/waiting-1/actions/abort`;
    expect((await http(url, { method: "POST", cookie, json: {} })).status).toBe(403);
    expect((await http(url, { method: "POST", cookie, csrf: "forged", json: {} })).status).toBe(403);
    expect((await http(url, { method: "POST", cookie, csrf: me.csrfToken, json: {}, headers: { origin: "https://evil.example" } })).status).toBe(403);
    const tampered = cookie.replace(/.(?=\.)/, (ch) => (ch === "A" ? "B" : "A"));
    expect((await http(`${c.url}/api/me`, { cookie: tampered })).status).toBe(401);
    expect(await controlEvents("waiting-1")).toEqual([]);
  });

  test("an operator promotes: the same event as `baton promote`, recording who", async () => {
    const r = await http(`${c.url}/api/releases/waiting-1/actions/promote`, { method: "POST", token: TOKENS.operator, json: {} });
    expect(r.status).toBe(200);
    expect(r.body).toEqual({ accepted: true, event: "PromotionApproved" });
    const [approved] = await controlEvents("waiting-1");
    expect(approved).toMatchObject({ name: "PromotionApproved", source: "baton/console", id: "waiting-1:promotion_approved", data: { by: "olivia", releaseId: "waiting-1" } });
    expect((await stateOf("waiting-1"))?.phase).toBe("promoting");
    // Promoting again: the state machine refuses, with its reason.
    const again = await http(`${c.url}/api/releases/waiting-1/actions/promote`, { method: "POST", token: TOKENS.operator, json: {} });
    expect(again.status).toBe(409);
  });

  test("abort takes a reason, bounded", async () => {
    const long = await http(`${c.url}/api/releases/billing-1/actions/abort`, { method: "POST", token: TOKENS.stranger, json: { reason: "x".repeat(1025) } });
    expect(long).toMatchObject({ status: 400, body: { error: "reason: must be text of at most 1024 characters" } });
    const ok = await http(`${c.url}/api/releases/billing-1/actions/abort`, { method: "POST", token: TOKENS.stranger, json: { reason: "wrong invoice template" } });
    expect(ok.status).toBe(200);
    expect(await controlEvents("billing-1")).toMatchObject([{ name: "AbortRequested", data: { by: "sam", reason: "wrong invoice template" } }]);
    expect((await stateOf("billing-1"))?.phase).toBe("rolling_back");
  });
});

describe("live", () => {
  /** Reads server-sent events until `until` has seen what it waits for. */
  async function stream(token: string, until: (seen: StreamMessage[]) => boolean, during: () => Promise<void>, ms = 5000): Promise<StreamMessage[]> {
    const ac = new AbortController();
    const res = await fetch(`${c.url}/api/stream`, { headers: { authorization: `Bearer ${token}` }, signal: ac.signal });
    expect(res.headers.get("content-type")).toMatch(/^text\/event-stream/);
    const seen: StreamMessage[] = [];
    const reader = res.body!.getReader();
    const timer = setTimeout(() => ac.abort(), ms);
    const reading = (async () => {
      let buffer = "";
      try {
        for (;;) {
          const { value, done } = await reader.read();
          if (done) return;
          buffer += new TextDecoder().decode(value);
          let cut: number;
          while ((cut = buffer.indexOf("\n\n")) >= 0) {
            const chunk = buffer.slice(0, cut);
            buffer = buffer.slice(cut + 2);
            const data = chunk.split("\n").find((l) => l.startsWith("data: "));
            if (data) seen.push(JSON.parse(data.slice(6)) as StreamMessage);
            if (until(seen)) return ac.abort();
          }
        }
      } catch {
        // aborted
      }
    })();
    await during();
    await reading;
    clearTimeout(timer);
    return seen;
  }

  test("a new release reaches an open page as its events are stored; another team's stream stays quiet", async () => {
    const started = Date.now();
    let ended = 0;
    const viewerSaw = stream(
      TOKENS.viewer,
      (seen) => {
        const done = seen.some((m) => m.type === "release" && m.release.releaseId === "live-1" && m.release.phase === "validating");
        if (done && ended === 0) ended = Date.now();
        return done;
      },
      () => seedRelease(c.rt, "live-1", "validating", { app: "live" }),
    );
    const strangerSaw = stream(TOKENS.stranger, () => false, async () => undefined, 1500);
    const seen = await viewerSaw;
    expect(seen.filter((m) => m.type === "event").map((m) => (m.type === "event" ? m.event.name : ""))).toEqual(["ReleaseRequested", "ReleasePlanned", "PodsLive"]);
    expect(ended - started).toBeLessThan(5000);
    expect((await strangerSaw).filter((m) => "releaseId" in m && m.releaseId === "live-1")).toEqual([]);
  });

  test("a dead letter of a release marks it as needing attention", async () => {
    const letter = { stage: "validator", event: "PodsLive", subject: "x", streamSeq: 1, attempts: 5, error: "boom: preview unreachable", kind: "retries_exhausted", at: new Date().toISOString(), payload: JSON.stringify({ data: { releaseId: "done-1", namespace: "shop", app: "api" } }) };
    await c.rt.bus.js.publish(c.rt.bus.subjects.deadLetter("validator", "PodsLive"), JSON.stringify(letter));
    const list = await waitFor("the dead letter in the list", async () => {
      const l = (await http<ReleaseList>(`${c.url}/api/releases?attention=true`, { token: TOKENS.viewer })).body;
      return l.deadLetters.length > 0 ? l : undefined;
    });
    expect(list.deadLetters).toMatchObject([{ stage: "validator", event: "PodsLive", attempts: 5, releaseId: "done-1", namespace: "shop" }]);
    expect(list.releases.find((r) => r.releaseId === "done-1")?.attention).toEqual(["dead_letter"]);
    expect((await http<unknown[]>(`${c.url}/api/dead-letters`, { token: TOKENS.stranger })).body).toEqual([]);
  });
});

describe("the front end's files", () => {
  test("hashed assets are cached for a year, pages are revalidated, and pages carry a strict CSP", async () => {
    const page = await http(`${c.url}/releases/anything`);
    expect(page.status).toBe(200);
    expect(page.headers.get("cache-control")).toBe("no-cache");
    expect(page.headers.get("content-security-policy")).toContain("script-src 'self'");
    expect(page.headers.get("content-security-policy")).toContain("frame-ancestors 'none'");
    const asset = await fetch(`${c.url}/assets/app-abc123.js`, { headers: { "accept-encoding": "gzip" } });
    expect(asset.headers.get("cache-control")).toBe("public, max-age=31536000, immutable");
    expect(asset.headers.get("content-encoding")).toBe("gzip");
    expect(await asset.text()).toContain("console.log");
    const escape = await http(`${c.url}/assets/..%2f..%2f..%2f..%2fetc%2fpasswd`);
    expect(escape.status).toBe(404);
    expect(String(escape.body)).not.toContain("root:");
    expect((await http(`${c.url}/assets/missing.js`)).status).toBe(404);
  });
});
