import { execFile } from "node:child_process";
import { fileURLToPath } from "node:url";
import { promisify } from "node:util";
import { describe, expect, test } from "vitest";
import { loadConfig, redactCredentials } from "@baton/runtime";
import { captureLogs } from "@baton/runtime/testing";

// What an operator reads must never hold a credential: the real logger (the one every service
// builds through createLogger) is fed the shapes secrets take in this codebase — a database URL, a
// key/value connection string, an Authorization header, a bearer token in an error — and the lines
// it writes are searched for them.

const PASSWORD = "Pg-Pa55word-8813";
const TOKEN = "tok_live_4f9a1c2e7b";
const API_KEY = "ak-93b1-secret-77";

function parse(lines: readonly string[]): Record<string, unknown>[] {
  return lines.map((l) => JSON.parse(l) as Record<string, unknown>);
}

describe("log redaction", () => {
  test("URL passwords, connection strings, Authorization headers and bearer tokens appear in no line", () => {
    const logs = captureLogs("redaction", "debug");
    const log = logs.logger.child({ releaseId: "r-1", dsnUrl: `postgres://app:${PASSWORD}@db:5432/shop` });
    log.info(`connecting to postgres://app:${PASSWORD}@db:5432/shop`);
    log.info({ db: { url: `postgres://app:${PASSWORD}@db/shop`, connectionString: `host=db user=app password=${PASSWORD}` } }, "pool");
    log.info({ activity: { kind: "sql", target: `Server=db;User Id=app;Password=${PASSWORD};` } }, "sql activity");
    log.info({ request: { headers: { Authorization: `Bearer ${TOKEN}`, "x-api-key": API_KEY, accept: "application/json" } } }, "webhook");
    log.info({ call: { req: { headers: { authorization: `Bearer ${TOKEN}` } } } }, "nested deeper than pino's paths");
    log.warn({ err: new Error(`POST https://hooks.example/x failed: 401 for Bearer ${TOKEN} via https://u:${PASSWORD}@proxy`) }, "webhook failed");
    log.error({ err: Object.assign(new Error("request failed"), { request: { headers: { authorization: `Bearer ${TOKEN}` } } }) }, "error with fields");
    log.info({ steps: [{ url: `redis://:${PASSWORD}@redis:6379` }] }, "array");
    log.warn({ err: `connect failed: password=${PASSWORD}` }, "an error given as text");
    log.info({ password: PASSWORD, token: TOKEN, bearerToken: TOKEN, clientSecret: API_KEY }, "named fields");

    expect(logs.lines).toHaveLength(10);
    for (const secret of [PASSWORD, TOKEN, API_KEY]) expect(logs.text()).not.toContain(secret);
    const lines = parse(logs.lines);
    // what is not secret survives, so the lines stay useful
    expect(lines[0]).toMatchObject({ releaseId: "r-1", msg: "connecting to postgres://app:***@db:5432/shop" });
    expect(lines[1]).toMatchObject({ db: { url: "postgres://app:***@db/shop", connectionString: "***" } });
    expect(lines[2]).toMatchObject({ activity: { target: "Server=db;User Id=app;Password=***;" } });
    expect(lines[3]).toMatchObject({ request: { headers: { Authorization: "***", "x-api-key": "***", accept: "application/json" } } });
    expect(lines[4]).toMatchObject({ call: { req: { headers: { authorization: "***" } } } });
    expect(String((lines[5]?.err as { message: string }).message)).toBe("POST https://hooks.example/x failed: 401 for Bearer *** via https://u:***@proxy");
    expect(lines[6]).toMatchObject({ err: { message: "request failed", request: { headers: { authorization: "***" } } } });
    expect(lines[7]).toMatchObject({ steps: [{ url: "redis://:***@redis:6379" }] });
    expect(lines[8]).toMatchObject({ err: "connect failed: password=***" });
    expect(lines[9]).toMatchObject({ password: "***", token: "***", bearerToken: "***", clientSecret: "***" });
  });

  test("names that only look like secrets are kept; objects passed in are not changed", () => {
    const logs = captureLogs("redaction", "info");
    const spec = { connectionSecretRef: { name: "web-v1-db", key: "url" }, tokens: 3, url: `postgres://app:${PASSWORD}@db/shop` };
    logs.logger.info({ spec }, "spec");
    expect(parse(logs.lines)[0]).toMatchObject({ spec: { connectionSecretRef: { name: "web-v1-db", key: "url" }, tokens: 3, url: "postgres://app:***@db/shop" } });
    expect(spec.url).toContain(PASSWORD);
  });

  test("redactCredentials keeps user names and hosts, cuts the secret part", () => {
    expect(redactCredentials("nats://u:p@h:4222 and postgres://x:y@db/z")).toBe("nats://u:***@h:4222 and postgres://x:***@db/z");
    expect(redactCredentials("host=db password='a b' user=x")).toBe("host=db password=*** user=x");
    expect(redactCredentials("Authorization: Basic dXNlcjpwYXNz")).toBe("Authorization: Basic ***");
    expect(redactCredentials("no secret here: https://example.com/a?b=c")).toBe("no secret here: https://example.com/a?b=c");
  });
});

describe("BATON_LOG_PRETTY", () => {
  const run = promisify(execFile);
  const root = fileURLToPath(new URL("../../..", import.meta.url));
  const script = `
    import { createLogger, loadConfig } from "@baton/runtime";
    const config = loadConfig(process.env);
    const log = createLogger({ service: "pretty-check", level: "info", pretty: config.BATON_LOG_PRETTY });
    log.child({ releaseId: "r-42", stage: "planner" }).info({ db: "postgres://app:${PASSWORD}@db/shop" }, "pretty line");
  `;

  test("true: human-readable lines through pino-pretty, still redacted", async () => {
    const exec = (pretty: string) =>
      run(process.execPath, ["--import", "tsx", "--conditions=source", "--input-type=module", "-e", script], {
        cwd: root,
        env: { ...process.env, BATON_LOG_PRETTY: pretty, NO_COLOR: "1", FORCE_COLOR: "0" },
        timeout: 20_000,
      });
    const pretty = await exec("true");
    expect(pretty.stdout).toMatch(/^\[[\d:.]+\] INFO: pretty line\n/);
    expect(pretty.stdout).toContain('service: "pretty-check"');
    expect(pretty.stdout).toContain("releaseId: \"r-42\"");
    expect(pretty.stdout).toContain("postgres://app:***@db/shop");
    expect(pretty.stdout).not.toContain(PASSWORD);
    expect(() => JSON.parse(pretty.stdout.trim())).toThrow();
  }, 30_000);

  test("is off unless asked for (JSON lines, for log collectors)", () => {
    expect(loadConfig({}).BATON_LOG_PRETTY).toBe(false);
    expect(loadConfig({ BATON_LOG_PRETTY: "true" }).BATON_LOG_PRETTY).toBe(true);
  });
});
