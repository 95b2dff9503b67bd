import { randomBytes } from "node:crypto";
import { mkdtemp, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, test } from "vitest";
import { stringify } from "yaml";
import type { ConsoleMe } from "@baton/contracts";
import { consoleService } from "@baton/console";
import { createLogger, startServices, type ServiceHandle } from "@baton/runtime";
import { freePort, openTestRuntime, type TestRuntime } from "@baton/runtime/testing";
import { startOidcProvider, type TestProvider } from "./oidc.js";

// Sign-in with OpenID Connect at the HTTP level (no browser): the authorization code flow with
// PKCE against a real provider, the groups claim mapped to roles, and the flow's protections
// (state bound to the browser that started it, a flow cookie that cannot be forged).

let provider: TestProvider;
let rt: TestRuntime;
let handle: ServiceHandle;
let url = "";

beforeAll(async () => {
  const port = await freePort();
  url = `http://127.0.0.1:${port}`;
  provider = await startOidcProvider({
    redirectUri: `${url}/auth/callback`,
    people: { alice: { email: "alice@example.com", name: "Alice", groups: ["shop-operators", "unrelated"] } },
  });
  const access = join(await mkdtemp(join(tmpdir(), "baton-oidc-")), "access.yaml");
  await writeFile(access, stringify({ oidc: { issuer: provider.issuer, clientId: provider.clientId, name: "Test SSO" }, roles: [{ groups: ["shop-operators"], namespaces: ["shop"], role: "operator" }] }));
  rt = await openTestRuntime("oidc");
  const env = {
    BATON_CONSOLE_PORT: String(port),
    BATON_CONSOLE_HOST: "127.0.0.1",
    BATON_CONSOLE_URL: url,
    BATON_CONSOLE_AUTH_FILE: access,
    BATON_CONSOLE_SESSION_SECRET: randomBytes(32).toString("hex"),
    BATON_CONSOLE_OIDC_CLIENT_SECRET: provider.clientSecret,
    BATON_CONSOLE_WATCH_PODS: "false",
  };
  handle = await startServices(rt.config, [consoleService({ env })], { name: "console", timerPump: false, http: false, log: createLogger({ service: "console", level: "silent" }) });
});

afterAll(async () => {
  await handle?.stop();
  await rt?.cleanup();
  await provider?.close();
});

/** A browser's cookies, enough for these two servers (one cookie per name and host). */
class Jar {
  private readonly cookies = new Map<string, string>();
  take(from: string, res: Response): void {
    for (const c of res.headers.getSetCookie()) {
      const [pair] = c.split(";");
      const eq = (pair as string).indexOf("=");
      this.cookies.set(`${new URL(from).host} ${(pair as string).slice(0, eq)}`, (pair as string).slice(eq + 1));
    }
  }
  header(to: string): string {
    const host = new URL(to).host;
    return [...this.cookies].filter(([k, v]) => k.startsWith(`${host} `) && v !== "").map(([k, v]) => `${k.slice(host.length + 1)}=${v}`).join("; ");
  }
}

async function go(jar: Jar, target: string, init: RequestInit = {}): Promise<Response> {
  const res = await fetch(target, { ...init, redirect: "manual", headers: { ...(init.headers as Record<string, string>), cookie: jar.header(target) } });
  jar.take(target, res);
  return res;
}

/** Follows redirects, and signs in and consents on the provider's pages, until the console answers. */
async function signIn(jar: Jar, start: string, login = "alice"): Promise<Response> {
  let res = await go(jar, start);
  for (let hops = 0; hops < 20; hops++) {
    const location = res.headers.get("location");
    if (location !== null) {
      const next = new URL(location, res.url || start).href;
      if (next.startsWith(url) && !next.startsWith(`${url}/auth/callback`)) return res;
      res = await go(jar, next);
      continue;
    }
    const html = await res.text();
    const action = /<form[^>]*action="([^"]+)"/.exec(html)?.[1];
    if (action === undefined) return res;
    const form = new URLSearchParams(/name="prompt" value="login"/.test(html) ? { prompt: "login", login, password: "any" } : { prompt: "consent" });
    const target = new URL(action.replace(/&amp;/g, "&"), provider.issuer).href;
    res = await go(jar, target, { method: "POST", body: form, headers: { "content-type": "application/x-www-form-urlencoded" } });
  }
  throw new Error("sign-in did not come back to the console");
}

describe("sign-in with OpenID Connect", () => {
  test("code flow with PKCE: the provider's person becomes the console's user, the groups its roles", async () => {
    const jar = new Jar();
    const first = await go(jar, `${url}/auth/login?returnTo=/releases/r1`);
    const authorize = new URL(first.headers.get("location") ?? "");
    expect(authorize.origin).toBe(provider.issuer);
    expect(authorize.searchParams.get("code_challenge_method")).toBe("S256");
    expect(authorize.searchParams.get("state")).toMatch(/.{20,}/);
    expect(authorize.searchParams.get("nonce")).toMatch(/.{20,}/);
    const back = await signIn(jar, authorize.href);
    expect(back.status).toBe(302);
    expect(back.headers.get("location")).toBe("/releases/r1");
    const me = (await (await go(jar, `${url}/api/me`)).json()) as ConsoleMe;
    expect(me).toMatchObject({ user: "alice@example.com", via: "oidc", roles: [{ namespace: "shop", role: "operator" }] });
  });

  test("a callback this browser did not start, or with another state, signs no one in", async () => {
    const other = new Jar();
    const callbacks: string[] = [];
    const jar = new Jar();
    const start = await go(jar, `${url}/auth/login`);
    let res = await go(jar, start.headers.get("location") ?? "");
    // Walk the provider by hand to catch the callback URL instead of following it.
    for (let i = 0; i < 20 && callbacks.length === 0; i++) {
      const location = res.headers.get("location");
      if (location !== null) {
        const next = new URL(location, provider.issuer).href;
        if (next.startsWith(`${url}/auth/callback`)) callbacks.push(next);
        else res = await go(jar, next);
        continue;
      }
      const html = await res.text();
      const action = (/<form[^>]*action="([^"]+)"/.exec(html)?.[1] ?? "").replace(/&amp;/g, "&");
      const form = new URLSearchParams(/value="login"/.test(html) ? { prompt: "login", login: "alice", password: "x" } : { prompt: "consent" });
      res = await go(jar, new URL(action, provider.issuer).href, { method: "POST", body: form, headers: { "content-type": "application/x-www-form-urlencoded" } });
    }
    const callback = callbacks[0] as string;
    // The provider's answer replayed in another browser, without the flow cookie (login CSRF): refused.
    expect((await go(other, callback)).status).toBe(400);
    const forged = new URL(callback);
    forged.searchParams.set("state", "forged");
    expect((await go(jar, forged.href)).status).toBe(401);
    expect((await (await go(other, `${url}/api/me`)).status)).toBe(401);
  });
});
