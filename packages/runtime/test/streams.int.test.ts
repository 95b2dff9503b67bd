import { afterEach, describe, expect, test } from "vitest";
import { ConfigError, createLogger, openRuntime } from "@baton/runtime";
import { openTestRuntime, testConfig, type TestRuntime } from "@baton/runtime/testing";

// Production runs the stages with BATON_MANAGE_STREAMS=false: the streams are provisioned once by
// an admin (`baton provision`), and a stage's NATS user needs no stream-management rights.

const opened: TestRuntime[] = [];
afterEach(async () => {
  for (const rt of opened.splice(0)) await rt.cleanup();
});

const silent = createLogger({ service: "test", level: "silent" });

describe("provisioned streams", () => {
  test("a stage that may not manage streams fails at start with a clear reason when they are missing, and starts once they exist", async () => {
    const config = testConfig({ BATON_MANAGE_STREAMS: "false" });
    const err = await openRuntime(config, { name: "stage", log: silent }).then(
      () => undefined,
      (e: unknown) => e,
    );
    expect(err).toBeInstanceOf(ConfigError);
    expect((err as ConfigError).problems).toEqual([
      `JetStream stream ${config.BATON_PREFIX.toUpperCase()}_EVENTS does not exist: with BATON_MANAGE_STREAMS=false it is created by \`baton provision\` (an admin NATS user) first`,
      `JetStream stream ${config.BATON_PREFIX.toUpperCase()}_DLQ does not exist: with BATON_MANAGE_STREAMS=false it is created by \`baton provision\` (an admin NATS user) first`,
    ]);

    // the admin provisions (a runtime that manages streams), then the stage starts and leaves them as they are
    const admin = await openTestRuntime("admin", { ...config, BATON_MANAGE_STREAMS: true });
    opened.push(admin);
    const before = await admin.bus.jsm.streams.info(admin.bus.subjects.eventsStream);
    const stage = await openRuntime(config, { name: "stage", log: silent });
    const after = await stage.bus.jsm.streams.info(stage.bus.subjects.eventsStream);
    await stage.close();
    expect(after.created).toEqual(before.created);
    expect(after.config.num_replicas).toBe(1);
  });
});
