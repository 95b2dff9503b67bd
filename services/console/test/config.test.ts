import { describe, expect, test } from "vitest";
import { ConfigError } from "@baton/runtime";
import { loadConsoleConfig } from "../src/index.js";
import { ACCESS, writeAccessFile } from "./support.js";

// With no way to sign in the console does not start, unless told it is a local development run;
// every problem of its configuration is named at once.

const problems = (env: Record<string, string>) => {
  try {
    loadConsoleConfig(env);
  } catch (err) {
    expect(err).toBeInstanceOf(ConfigError);
    return (err as ConfigError).problems;
  }
  return [];
};

describe("the console's configuration", () => {
  test("no sign-in configured: refuses to start and says how to fix it", () => {
    expect(problems({})).toEqual([expect.stringMatching(/^no sign-in configured: set BATON_CONSOLE_AUTH_FILE .* or start with --insecure-no-auth/)]);
  });

  test("--insecure-no-auth starts without sign-in", () => {
    expect(loadConsoleConfig({ BATON_CONSOLE_INSECURE_NO_AUTH: "true" }).insecureNoAuth).toBe(true);
  });

  test("sign-in without a session secret, OIDC without a public URL, and bad rules are all named together", async () => {
    const file = await writeAccessFile({
      oidc: { issuer: "https://sso.example.com", clientId: "baton" },
      tokens: [{ name: "ci", sha256: "not-a-hash" }],
      roles: [{ groups: ["a"], namespaces: ["Shop!"], role: "boss" }],
    });
    const p = problems({ BATON_CONSOLE_AUTH_FILE: file, BATON_CONSOLE_SESSION_SECRET: "short" });
    expect(p).toEqual(
      expect.arrayContaining([
        expect.stringMatching(/^BATON_CONSOLE_SESSION_SECRET: must be at least 32 characters$/),
        expect.stringMatching(/tokens\.0\.sha256: must be the SHA-256 of the token/),
        expect.stringMatching(/roles\.0\.namespaces\.0: must be a namespace name or \*/),
        expect.stringMatching(/roles\.0\.role: /),
      ]),
    );
    expect(p.join("\n")).not.toContain("short"); // a secret's value is never echoed
    const missing = problems({ BATON_CONSOLE_AUTH_FILE: file.replace("access", "missing") });
    expect(missing).toEqual(expect.arrayContaining([expect.stringMatching(/^BATON_CONSOLE_AUTH_FILE: cannot read .*missing\.yaml/)]));
    const oidcOnly = await writeAccessFile({ oidc: { issuer: "https://sso.example.com", clientId: "baton" }, roles: [{ groups: ["a"], namespaces: ["*"], role: "viewer" }] });
    expect(problems({ BATON_CONSOLE_AUTH_FILE: oidcOnly })).toEqual([
      expect.stringMatching(/^BATON_CONSOLE_SESSION_SECRET: required when sign-in is on/),
      expect.stringMatching(/^BATON_CONSOLE_URL: required with OIDC/),
    ]);
  });

  test("a complete configuration", async () => {
    const c = loadConsoleConfig({ BATON_CONSOLE_AUTH_FILE: await writeAccessFile(ACCESS), BATON_CONSOLE_SESSION_SECRET: "x".repeat(32), BATON_CONSOLE_PORT: "9000" });
    expect(c).toMatchObject({ port: 9000, insecureNoAuth: false, oidc: null });
    expect(c.tokens.map((t) => t.name)).toEqual(["olivia", "victor", "ada", "sam"]);
    expect(Object.isFrozen(c)).toBe(true);
  });
});
