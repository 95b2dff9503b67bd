import { afterEach, beforeEach, describe, expect, test } from "vitest";
import { PatchStrategy, setHeaderOptions } from "@kubernetes/client-node";
import { encodeEvent } from "@baton/contracts";
import {
  APP, NS, eventOf, eventsOf, givenRelease, givenRevision, givenSecret, podsOf, startReceiver, startWorld, streamText,
  testDatabase, waitForEnd, withPassword, type Receiver, type TestDatabase, type World,
} from "./support.js";

// Post-release activities after v1 is gone: SQL against the database named by a Secret, exactly
// once (journal row in the same transaction), webhooks with a bearer token from a Secret; no
// secret in any event or log line; a failed activity completes the release with ok:false.

const PASSWORD = "pg-S3cret-reaper-9931";
const TOKEN = "hook-T0ken-5521-secret";
const SECRET_REF = { name: "web-v1-db", key: "url" };

let w: World;
let db: TestDatabase;
let receiver: Receiver | undefined;
beforeEach(async () => {
  w = await startWorld();
  db = await testDatabase();
  await db.query("CREATE SCHEMA web_v1; CREATE TABLE web_v1.carts (id int)");
  await givenSecret(w, SECRET_REF.name, { url: withPassword(db.url, PASSWORD) });
  await givenRevision(w, 1, { replicas: 1 });
  await givenRevision(w, 2, { replicas: 1 });
});
afterEach(async () => {
  await receiver?.close();
  receiver = undefined;
  await w.stop();
  await db.drop();
});

const fast = { delaySeconds: 0, gracePeriodSeconds: 0 };
const schemaExists = async () =>
  (await db.query("SELECT 1 FROM information_schema.schemata WHERE schema_name = 'web_v1'")).rowCount === 1;
const journal = async () => (await db.query("SELECT release_id, activity FROM baton_post_release_journal")).rows;

async function expectNoSecretLeaked(): Promise<void> {
  const stream = await streamText(w);
  const logs = w.logs.text();
  expect(w.logs.lines.length).toBeGreaterThan(5);
  for (const secret of [PASSWORD, encodeURIComponent(PASSWORD), TOKEN]) {
    expect(stream).not.toContain(secret);
    expect(logs).not.toContain(secret);
  }
}

describe("reaper: post-release activities", () => {
  test("the SQL clean-up runs once after v1 is gone, in one transaction with its journal row, and the password appears nowhere", async () => {
    const g = await givenRelease(w, "rel-sql", {
      revision: 2,
      previousRevision: 1,
      spec: { shutdown: fast, postRelease: [{ name: "drop-v1-schema", sql: { connectionSecretRef: SECRET_REF, statements: ["DROP SCHEMA web_v1 CASCADE"] } }] },
    });

    await g.publishSwitch();
    const end = await waitForEnd(w, g.releaseId);

    expect(end.phase).toBe("completed");
    expect((await eventsOf(w, g.releaseId)).map((e) => e.name)).toEqual([
      "TrafficSwitched", "DrainDue", "DrainStarted", "ShutdownDue", "ReleaseCompleted",
    ]);
    expect(end.postRelease).toEqual([
      { name: "drop-v1-schema", kind: "sql", ok: true, detail: expect.stringContaining("1 statement committed"), durationMs: expect.any(Number) },
    ]);
    expect(await schemaExists()).toBe(false);
    expect(await journal()).toEqual([{ release_id: g.releaseId, activity: "drop-v1-schema" }]);
    expect(await podsOf(w, 1)).toHaveLength(0);
    await expectNoSecretLeaked();
  });

  test("a failing SQL statement: nothing of the transaction is applied, the release still completes (v2 is live) with ok:false and the SQLSTATE, later activities are not run, and it is logged as an error", async () => {
    receiver = await startReceiver();
    const g = await givenRelease(w, "rel-sql-fails", {
      revision: 2,
      previousRevision: 1,
      spec: {
        shutdown: fast,
        postRelease: [
          { name: "drop-v1-schema", sql: { connectionSecretRef: SECRET_REF, statements: ["DROP SCHEMA web_v1 CASCADE", "DROP TABLE no_such_table"] } },
          { name: "notify", webhook: { url: receiver.url } },
        ],
      },
    });

    await g.publishSwitch();
    const end = await waitForEnd(w, g.releaseId);

    expect(end.phase).toBe("completed");
    const [sql, notify] = end.postRelease;
    expect(sql).toMatchObject({ name: "drop-v1-schema", kind: "sql", ok: false });
    expect(sql?.detail).toMatch(/statement 2 of 2 failed: .*no_such_table.* \(SQLSTATE 42P01\); the transaction was rolled back, nothing was applied/);
    expect(notify).toMatchObject({ name: "notify", ok: false, skipped: true, detail: "not run: drop-v1-schema failed before it" });
    expect(receiver.received).toHaveLength(0);
    expect(await schemaExists()).toBe(true); // statement 1 was rolled back with statement 2
    expect(await journal()).toEqual([]); // so a fixed re-run would run it
    const errors = w.logs.lines.map((l) => JSON.parse(l) as { level: number; msg: string }).filter((l) => l.level >= 50);
    expect(errors.map((l) => l.msg).join("\n")).toContain("post-release activity drop-v1-schema FAILED for good");
    expect(await podsOf(w, 1)).toHaveLength(0); // v1 is gone all the same
    await expectNoSecretLeaked();
  });

  test("redelivered after a later webhook fails: the SQL is not run again, the webhook is retried with the same Idempotency-Key and the bearer token from its Secret", async () => {
    receiver = await startReceiver([503]);
    await givenSecret(w, "hook-token", { token: TOKEN });
    const g = await givenRelease(w, "rel-retry", {
      revision: 2,
      previousRevision: 1,
      spec: {
        shutdown: fast,
        postRelease: [
          { name: "drop-v1-schema", sql: { connectionSecretRef: SECRET_REF, statements: ["DROP SCHEMA web_v1 CASCADE"] } },
          { name: "notify", webhook: { url: receiver.url, bearerTokenSecretRef: { name: "hook-token", key: "token" } } },
        ],
      },
    });

    await g.publishSwitch();
    const end = await waitForEnd(w, g.releaseId);

    expect(end.phase).toBe("completed");
    expect(end.postRelease).toMatchObject([
      { name: "drop-v1-schema", kind: "sql", ok: true, skipped: true },
      { name: "notify", kind: "webhook", ok: true },
    ]);
    expect(await journal()).toEqual([{ release_id: g.releaseId, activity: "drop-v1-schema" }]);
    expect(await schemaExists()).toBe(false);
    expect(receiver.received).toHaveLength(2);
    for (const r of receiver.received) {
      expect(r.method).toBe("POST");
      expect(r.headers["idempotency-key"]).toBe(`${g.releaseId}:notify`);
      expect(r.headers.authorization).toBe(`Bearer ${TOKEN}`);
      expect(JSON.parse(r.body)).toEqual({ releaseId: g.releaseId, app: APP, namespace: NS, revision: 2, previousRevision: 1 });
    }
    expect(w.logs.text()).toContain("HTTP 503");
    await expectNoSecretLeaked();
  });

  test("ShutdownDue delivered twice at once: the clean-up still runs once and the release completes once", async () => {
    const g = await givenRelease(w, "rel-twice", {
      revision: 2,
      previousRevision: 1,
      spec: {
        shutdown: fast,
        postRelease: [
          // no IF EXISTS: a second run would fail; pg_sleep keeps the first transaction open
          { name: "drop-v1-schema", sql: { connectionSecretRef: SECRET_REF, statements: ["SELECT pg_sleep(0.3)", "DROP SCHEMA web_v1 CASCADE"] } },
        ],
      },
    });
    for (const e of [
      g.ev("TrafficSwitched", { from: 1, to: 2, endpoints: 1 }),
      g.ev("DrainDue", { revision: 1 }),
      g.ev("DrainStarted", { revision: 1, pods: 1, gracePeriodSeconds: 0 }),
    ]) {
      expect((await w.rt.store.apply(e)).kind).toBe("applied");
    }

    // Two stream messages carrying the same event (what a redelivery after a lost ack looks like)
    const shutdown = g.ev("ShutdownDue", { revision: 1 });
    const subject = w.rt.bus.subjects.event("ShutdownDue", NS, APP, g.releaseId);
    await Promise.all([
      w.rt.bus.publishRaw(subject, encodeEvent(shutdown), `${shutdown.id}#a`),
      w.rt.bus.publishRaw(subject, encodeEvent(shutdown), `${shutdown.id}#b`),
    ]);
    const end = await waitForEnd(w, g.releaseId);

    expect(end.phase).toBe("completed");
    expect(end.postRelease).toMatchObject([{ name: "drop-v1-schema", ok: true }]);
    expect(await journal()).toEqual([{ release_id: g.releaseId, activity: "drop-v1-schema" }]);
    expect(await schemaExists()).toBe(false);
    const events = await eventsOf(w, g.releaseId);
    expect(events.filter((e) => e.name === "ShutdownDue")).toHaveLength(2);
    expect(events.filter((e) => e.name === "ReleaseCompleted")).toHaveLength(1);
    // (in practice both deliveries run side by side: one commits, the other finds the journal row)
    expect(w.logs.lines.filter((l) => l.includes("post-release activity drop-v1-schema: done"))).toHaveLength(1);
    expect(eventOf(events, "ReleaseCompleted").data.previousRevision).toBe(1);
    await expect(w.apps.readNamespacedDeployment({ name: `${APP}-1`, namespace: NS })).rejects.toMatchObject({ code: 404 });
  });
});

describe("reaper: Secrets bound to the app, checked again when read (issue 22, item 2)", () => {
  test("a database Secret whose label was taken off after the plan is not read for SQL: nothing runs, the activity names the Secret and the rule", async () => {
    const g = await givenRelease(w, "rel-unbound-db", {
      revision: 2,
      previousRevision: 1,
      spec: { shutdown: fast, postRelease: [{ name: "drop-v1-schema", sql: { connectionSecretRef: SECRET_REF, statements: ["DROP SCHEMA web_v1 CASCADE"] } }] },
    });
    await w.core.patchNamespacedSecret(
      { name: SECRET_REF.name, namespace: NS, body: { metadata: { labels: { "baton.dev/app": null } } } },
      setHeaderOptions("Content-Type", PatchStrategy.MergePatch),
    );

    await g.publishSwitch();
    const end = await waitForEnd(w, g.releaseId);

    expect(end.phase).toBe("completed");
    expect(await schemaExists()).toBe(true);
    // not even connected to: the journal table the reaper creates on connecting is not there
    expect((await db.query("SELECT to_regclass('baton_post_release_journal') AS t")).rows).toEqual([{ t: null }]);
    expect(end.postRelease).toMatchObject([{ name: "drop-v1-schema", kind: "sql", ok: false }]);
    expect(end.postRelease[0]?.detail).toMatch(/^Secret shop\/web-v1-db is not bound to any app; a release may use only Secrets bound to its app: label it baton\.dev\/app=web, or grant it in BATON_SECRET_BINDINGS \(shop\/web:web-v1-db\)$/);
    await expectNoSecretLeaked();
  });

  test("another app's token is not sent: the webhook is not called, and the activity names the Secret and the rule", async () => {
    receiver = await startReceiver();
    await givenSecret(w, "billing-token", { token: TOKEN }, "billing");
    const g = await givenRelease(w, "rel-unbound-token", {
      revision: 2,
      previousRevision: 1,
      spec: { shutdown: fast, postRelease: [{ name: "notify", webhook: { url: receiver.url, bearerTokenSecretRef: { name: "billing-token", key: "token" } } }] },
    });

    await g.publishSwitch();
    const end = await waitForEnd(w, g.releaseId);

    expect(end.phase).toBe("completed");
    expect(receiver.received).toEqual([]);
    expect(end.postRelease[0]).toMatchObject({ name: "notify", ok: false });
    expect(end.postRelease[0]?.detail).toBe(
      'Secret shop/billing-token is bound to app "billing", not "web"; a release may use only Secrets bound to its app: label it baton.dev/app=web, or grant it in BATON_SECRET_BINDINGS (shop/web:billing-token)',
    );
    await expectNoSecretLeaked();
  });

  test("BATON_SECRET_BINDINGS grants an unlabelled Secret to the app", async () => {
    await w.stop();
    w = await startWorld({ BATON_SECRET_BINDINGS: `${NS}/${APP}:shared-db` });
    await givenSecret(w, "shared-db", { url: withPassword(db.url, PASSWORD) }, null);
    await givenRevision(w, 1, { replicas: 1 });
    await givenRevision(w, 2, { replicas: 1 });
    const g = await givenRelease(w, "rel-granted", {
      revision: 2,
      previousRevision: 1,
      spec: { shutdown: fast, postRelease: [{ name: "drop-v1-schema", sql: { connectionSecretRef: { name: "shared-db", key: "url" }, statements: ["DROP SCHEMA web_v1 CASCADE"] } }] },
    });

    await g.publishSwitch();
    const end = await waitForEnd(w, g.releaseId);

    expect(end.postRelease).toMatchObject([{ name: "drop-v1-schema", ok: true }]);
    expect(await schemaExists()).toBe(false);
  });
});
