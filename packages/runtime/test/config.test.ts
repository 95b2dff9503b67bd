import { describe, expect, test } from "vitest";
import { ConfigError, loadConfig, redactCredentials } from "@baton/runtime";
import { captureLogs } from "@baton/runtime/testing";

describe("config", () => {
  test("defaults for a local machine", () => {
    expect(loadConfig({})).toMatchObject({
      BATON_NATS_URL: "nats://127.0.0.1:4222",
      BATON_REDIS_URL: "redis://127.0.0.1:6379",
      BATON_PREFIX: "baton",
      BATON_ALLOWED_NAMESPACES: "*",
    });
    expect(loadConfig({ BATON_ALLOWED_NAMESPACES: "shop, staging" }).BATON_ALLOWED_NAMESPACES).toEqual(["shop", "staging"]);
  });

  test("every bad variable is reported at once, secrets not echoed", () => {
    let err: unknown;
    try {
      loadConfig({ BATON_HTTP_PORT: "eighty", BATON_MAX_DELIVER: "0", BATON_PREFIX: "Bad.Prefix", BATON_LOG_LEVEL: "loud" });
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(ConfigError);
    const problems = (err as ConfigError).problems;
    expect(problems).toHaveLength(4);
    expect(problems.map((p) => p.split(":")[0]).sort()).toEqual(["BATON_HTTP_PORT", "BATON_LOG_LEVEL", "BATON_MAX_DELIVER", "BATON_PREFIX"]);
  });
});

describe("logs", () => {
  test("credentials are redacted from fields, messages and errors", () => {
    const logs = captureLogs();
    const url = "postgres://app:s3cr3t-pw@db:5432/shop";
    logs.logger.info({ password: "s3cr3t-pw", db: { connectionString: url } }, `connecting to ${url}`);
    logs.logger.error({ err: new Error(`connect failed: ${url}`) }, "failed");
    expect(logs.text()).not.toContain("s3cr3t-pw");
    expect(logs.text()).toContain("postgres://app:***@db:5432/shop");
    expect(redactCredentials("nats://u:p@h:4222")).toBe("nats://u:***@h:4222");
  });
});
