import { randomBytes } from "node:crypto";
import { mkdtemp, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { stringify } from "yaml";
import type { ReleaseSpecInput } from "@baton/contracts";
import { releaseEvents, specInput } from "@baton/contracts/testing";
import { createLogger, emit, type Runtime } from "@baton/runtime";
import { openTestRuntime, type TestRuntime } from "@baton/runtime/testing";
import { loadConsoleConfig, startConsole, tokenHash, type AccessFile, type ConsoleConfig, type ConsoleServer } from "../src/index.js";

// A console on its own prefix, with static tokens for an operator of `shop`, a viewer of `shop`, an
// admin of everything and an operator of another namespace; releases written to the stream and
// Redis through the runtime (as the stages would), so the tests need no cluster.

export const TOKENS = {
  operator: randomBytes(18).toString("base64url"),
  viewer: randomBytes(18).toString("base64url"),
  admin: randomBytes(18).toString("base64url"),
  stranger: randomBytes(18).toString("base64url"),
};

export const ACCESS: AccessFile = {
  tokens: [
    { name: "olivia", sha256: tokenHash(TOKENS.operator), groups: ["shop-team"] },
    { name: "victor", sha256: tokenHash(TOKENS.viewer), groups: ["readers"] },
    { name: "ada", sha256: tokenHash(TOKENS.admin), groups: ["platform"] },
    { name: "sam", sha256: tokenHash(TOKENS.stranger), groups: ["other-team"] },
  ],
  roles: [
    { groups: ["shop-team"], users: [], namespaces: ["shop"], role: "operator" },
    { groups: ["readers"], users: [], namespaces: ["shop"], role: "viewer" },
    { groups: ["platform"], users: [], namespaces: ["*"], role: "admin" },
    { groups: ["other-team"], users: [], namespaces: ["billing"], role: "operator" },
  ],
};

export interface TestConsole {
  readonly rt: TestRuntime;
  readonly server: ConsoleServer;
  readonly url: string;
  readonly config: ConsoleConfig;
  stop(): Promise<void>;
}

export async function writeAccessFile(access: unknown): Promise<string> {
  const file = join(await mkdtemp(join(tmpdir(), "baton-console-")), "access.yaml");
  await writeFile(file, stringify(access));
  return file;
}

export async function startTestConsole(env: Record<string, string> = {}, access: unknown = ACCESS): Promise<TestConsole> {
  const rt = await openTestRuntime("console-test");
  const config = loadConsoleConfig({
    BATON_CONSOLE_PORT: "0",
    BATON_CONSOLE_HOST: "127.0.0.1",
    BATON_CONSOLE_AUTH_FILE: await writeAccessFile(access),
    BATON_CONSOLE_SESSION_SECRET: randomBytes(32).toString("hex"),
    BATON_CONSOLE_WATCH_PODS: "false",
    ...env,
  });
  const server = await startConsole(rt, config, createLogger({ service: "console", level: process.env.BATON_TEST_LOG_LEVEL ?? "silent" }));
  return {
    rt,
    server,
    url: server.url,
    config,
    async stop() {
      await server.stop();
      await rt.cleanup();
    },
  };
}

/** Writes a release up to a phase the way the stages would (each event published, then recorded). */
export async function seedRelease(rt: Runtime, releaseId: string, upTo: "awaiting_promotion" | "validating" | "completed", spec: Partial<ReleaseSpecInput> = {}): Promise<void> {
  const s = specInput({ promotion: "manual", ...spec });
  const ev = releaseEvents(releaseId, s.app, s.namespace, Date.now() - 60_000);
  const steps = [
    ev("ReleaseRequested", { spec: { ...s } as never, requestedBy: "ci" }),
    ev("ReleasePlanned", { revision: 2, previousRevision: 1, fence: 1 }),
    ev("PodsLive", { revision: 2, ready: 2, desired: 2 }),
  ];
  if (upTo !== "validating") {
    steps.push(ev("ValidationPassed", { revision: 2, checks: [{ name: "health", passed: true, expected: "status 200", got: "status 200", latencyMs: 3 }], warmup: null }) as never);
  }
  if (upTo === "completed") {
    steps.push(
      ev("PromotionApproved", { by: "ci" }) as never,
      ev("TrafficSwitched", { from: 1, to: 2, endpoints: 2 }) as never,
      ev("DrainDue", { revision: 1 }) as never,
      ev("DrainStarted", { revision: 1, pods: 2, gracePeriodSeconds: 1 }) as never,
      ev("ShutdownDue", { revision: 1 }) as never,
      ev("ReleaseCompleted", { revision: 2, previousRevision: 1, forcedPods: 0, postRelease: [] }) as never,
    );
  }
  for (const e of steps) {
    const r = await emit(rt, "test", e as never);
    if (!r.emitted) throw new Error(`seeding ${releaseId}: ${e.name} refused: ${r.reason}`);
  }
}

export interface Reply<T = unknown> {
  readonly status: number;
  readonly body: T;
  readonly headers: Headers;
}

/** An HTTP call to the console as a browser or a script would make it. */
export async function http<T = Record<string, unknown>>(url: string, init: RequestInit & { token?: string; cookie?: string; csrf?: string; json?: unknown } = {}): Promise<Reply<T>> {
  const headers: Record<string, string> = { ...(init.headers as Record<string, string>) };
  if (init.token) headers.authorization = `Bearer ${init.token}`;
  if (init.cookie) headers.cookie = init.cookie;
  if (init.csrf) headers["x-csrf-token"] = init.csrf;
  if (init.json !== undefined) headers["content-type"] = "application/json";
  const res = await fetch(url, { ...init, headers, redirect: "manual", ...(init.json !== undefined ? { body: JSON.stringify(init.json) } : {}) });
  const text = await res.text();
  let body: unknown = text;
  try {
    body = JSON.parse(text);
  } catch {
    // not JSON
  }
  return { status: res.status, body: body as T, headers: res.headers };
}

/** A session cookie (name=value) from a Set-Cookie answer. */
export function sessionCookie(headers: Headers): string {
  const set = headers.getSetCookie().find((c) => c.startsWith("baton_session="));
  if (set === undefined) throw new Error("no session cookie was set");
  return set.split(";")[0] as string;
}
