import { afterEach, beforeEach, describe, expect, test } from "vitest";
import { givenRelease, givenRevision, givenSecret, startReceiver, startWorld, streamText, waitForEnd, type Receiver, type World } from "./support.js";

// Webhooks that fail: retried while it may help (5xx), not retried when it will not (4xx), and
// in both cases the release completes with ok:false and a message that carries no token.

const TOKEN = "hook-T0ken-7781-secret";

let w: World;
let receiver: Receiver | undefined;
beforeEach(async () => {
  w = await startWorld({ BATON_MAX_DELIVER: 2 }); // one retry, then the failure is final
  await givenRevision(w, 1, { replicas: 1 });
  await givenRevision(w, 2, { replicas: 1 });
  await givenSecret(w, "hook-token", { token: TOKEN });
});
afterEach(async () => {
  await receiver?.close();
  receiver = undefined;
  await w.stop();
});

function release(id: string, url: string) {
  return givenRelease(w, id, {
    revision: 2,
    previousRevision: 1,
    spec: {
      shutdown: { delaySeconds: 0, gracePeriodSeconds: 0 },
      postRelease: [{ name: "notify", timeoutSeconds: 1, webhook: { url, bearerTokenSecretRef: { name: "hook-token", key: "token" } } }],
    },
  });
}

describe("reaper: failing webhooks", () => {
  test("a webhook that keeps answering 503 is retried, then the release completes with ok:false saying it gave up", async () => {
    receiver = await startReceiver([], { always: 503 });
    const g = await release("rel-hook-503", receiver.url);

    await g.publishSwitch();
    const end = await waitForEnd(w, g.releaseId);

    expect(end.phase).toBe("completed");
    expect(receiver.received).toHaveLength(2);
    expect(end.postRelease).toHaveLength(1);
    expect(end.postRelease[0]).toMatchObject({ name: "notify", kind: "webhook", ok: false });
    expect(end.postRelease[0]?.detail).toMatch(/^POST http:\/\/127\.0\.0\.1:\d+\/hooks\/release → HTTP 503 Service Unavailable \(gave up/);
    expect(end.postRelease[0]?.detail).not.toContain("temporarily unavailable"); // the body is not kept
  });

  test("a webhook answering 401 is not retried; the token it echoes back is scrubbed from the result and the logs", async () => {
    receiver = await startReceiver([], { always: 401, echoAuth: true });
    const g = await release("rel-hook-401", receiver.url);

    await g.publishSwitch();
    const end = await waitForEnd(w, g.releaseId);

    expect(end.phase).toBe("completed");
    expect(receiver.received).toHaveLength(1);
    expect(receiver.received[0]?.headers.authorization).toBe(`Bearer ${TOKEN}`);
    expect(end.postRelease[0]).toMatchObject({ name: "notify", ok: false });
    expect(end.postRelease[0]?.detail).toMatch(/→ HTTP 401 rejected credentials Bearer \*\*\*$/);
    expect(await streamText(w)).not.toContain(TOKEN);
    expect(w.logs.text()).not.toContain(TOKEN);
  });

  test("a webhook that does not answer within its timeout is retried, then fails for good", async () => {
    receiver = await startReceiver([], { hang: true });
    const g = await release("rel-hook-hangs", receiver.url);

    await g.publishSwitch();
    const end = await waitForEnd(w, g.releaseId);

    expect(end.phase).toBe("completed");
    expect(end.postRelease[0]).toMatchObject({ name: "notify", ok: false });
    expect(receiver.received).toHaveLength(2);
    expect(end.postRelease[0]?.detail).toMatch(/^POST http:\/\/127\.0\.0\.1:\d+\/hooks\/release: no answer within 1s \(gave up/);
    expect(w.logs.text()).toContain("will retry");
  });
});

describe("reaper: what a webhook may reach (issue 22, item 1)", () => {
  test("a host not in BATON_WEBHOOK_ALLOWED_HOSTS is not called, even for a release planned before the list changed", async () => {
    await w.stop();
    w = await startWorld({ BATON_WEBHOOK_ALLOWED_HOSTS: "hooks.example.com,*.example.org" });
    await givenRevision(w, 1, { replicas: 1 });
    await givenRevision(w, 2, { replicas: 1 });
    await givenSecret(w, "hook-token", { token: TOKEN });
    receiver = await startReceiver();
    const g = await release("rel-hook-host", receiver.url);

    await g.publishSwitch();
    const end = await waitForEnd(w, g.releaseId);

    expect(end.phase).toBe("completed");
    expect(receiver.received).toEqual([]);
    expect(end.postRelease[0]).toMatchObject({ name: "notify", ok: false });
    expect(end.postRelease[0]?.detail).toMatch(/^POST http:\/\/127\.0\.0\.1:\d+\/hooks\/release: not called: host 127\.0\.0\.1:\d+ is not an allowed webhook host \(BATON_WEBHOOK_ALLOWED_HOSTS; allowed: hooks\.example\.com, \*\.example\.org\)$/);
  });

  test("a redirect to another host is not followed, and the token never reaches it", async () => {
    const elsewhere = await startReceiver();
    try {
      receiver = await startReceiver([], { redirectTo: `${elsewhere.url}?stolen=1` });
      const g = await release("rel-hook-redirect", receiver.url);

      await g.publishSwitch();
      const end = await waitForEnd(w, g.releaseId);

      expect(end.phase).toBe("completed");
      expect(receiver.received).toHaveLength(1); // not retried: it would redirect again
      expect(elsewhere.received).toEqual([]);
      expect(end.postRelease[0]).toMatchObject({ name: "notify", ok: false });
      expect(end.postRelease[0]?.detail).toMatch(/→ HTTP 307 redirect to another host \(127\.0\.0\.1:\d+\), not followed$/);
    } finally {
      await elsewhere.close();
    }
  });

  test("an error answer's body is not stored: only its status and reason phrase", async () => {
    receiver = await startReceiver([], { always: 500, errorBody: "stack trace: connect postgres://admin:hunter2@db-internal:5432/billing" });
    const g = await release("rel-hook-body", receiver.url);

    await g.publishSwitch();
    const end = await waitForEnd(w, g.releaseId);

    expect(end.postRelease[0]?.detail).toMatch(/→ HTTP 500 Internal Server Error \(gave up/);
    expect(await streamText(w)).not.toContain("db-internal");
    expect(w.logs.text()).not.toContain("db-internal");
  });
});
