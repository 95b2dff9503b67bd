import { afterAll, beforeAll, describe, expect, test } from "vitest";
import { startBaton, type Baton } from "../harness.js";
import { batonInShell } from "./run-cli.js";

// Issue 20: `baton list --json | head -1` died with an unhandled EPIPE and a stack trace. Every
// read command ends quietly (exit 0, nothing on stderr) when the reader of its output goes away,
// as `git log | head` does. Driven as a shell pipeline, so the pipe is a real one.

let b: Baton;
let env: Record<string, string>;
let id: string;
beforeAll(async () => {
  b = await startBaton({ logLevel: "warn" });
  env = { BATON_NATS_URL: b.config.BATON_NATS_URL, BATON_REDIS_URL: b.config.BATON_REDIS_URL, BATON_PREFIX: b.config.BATON_PREFIX };
  id = await b.releaseOk({ image: "baton.dev/demo-app:1.0.0", replicas: 1 });
  await b.waitForEnd(id);
  // a second release, so `list` has more than one line to write
  await b.waitForEnd(await b.releaseOk({ image: "baton.dev/demo-app:2.0.0", replicas: 1, shutdown: { delaySeconds: 0, gracePeriodSeconds: 0 } }));
});
afterAll(async () => {
  await b?.stop();
});

// The reader is gone before the command writes its first byte (`true` reads nothing and exits):
// every write the command makes meets a closed pipe.
const READ_COMMANDS = [["list"], ["list", "--json"], ["status"], ["events"], ["events", "--json"], ["replay"], ["replay", "--json"], ["dlq", "--json"]];

describe("read commands whose reader goes away", () => {
  test.each(READ_COMMANDS)("baton %s … | true: exit 0, nothing on stderr", async (...args: string[]) => {
    const withId = args[0] === "status" || args[0] === "events" || args[0] === "replay" ? [args[0], id, ...args.slice(1)] : args;
    const run = await batonInShell('"$@" | true; exit "${PIPESTATUS[0]}"', withId, env);
    expect(run.stderr).toBe("");
    expect(run.code).toBe(0);
  });

  test("baton list --json | head -1: one line, exit 0, no stack trace", async () => {
    const run = await batonInShell('"$@" | head -1; exit "${PIPESTATUS[0]}"', ["list", "--json"], env);
    expect(run.stderr).toBe("");
    expect(run.code).toBe(0);
    expect(run.stdout.trim().split("\n")).toHaveLength(1);
    expect(JSON.parse(run.stdout)).toMatchObject({ app: "web", namespace: b.ns, phase: "completed" });
  });
});
