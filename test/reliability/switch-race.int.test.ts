import { get } from "node:http";
import { afterEach, describe, expect, test } from "vitest";
import { serviceUrl } from "@baton/runtime";
import { waitFor } from "@baton/runtime/testing";
import { namespace, startFaulty, type Faulty } from "./faulty.js";

// The switch race (issue 22, item 8): an abort lands while the traffic-switcher is between its
// "still promoting?" check and its selector patch. The switch-back finds production on v1 and
// reports it, the pod-manager tears v2 down — and then the late patch must not point production
// at the torn-down v2. The API server is slowed through a proxy in front of kube-sim.

let f: Faulty | undefined;
afterEach(async () => {
  await f?.stop();
  f = undefined;
});

const PROD = /^\/api\/v1\/namespaces\/shop\/services\/web$/;
const v1 = { image: "baton.dev/demo-app:1.0.0", replicas: 1 };
const v2 = {
  image: "baton.dev/demo-app:2.0.0",
  replicas: 1,
  promotion: "manual",
  validation: { tests: [{ name: "version", request: { path: "/version" }, expect: { status: 200, bodyContains: "2.0.0" } }] },
};

/** What production answers on GET /version, on a new connection through the Service's address. */
async function production(f: Faulty): Promise<string> {
  const url = `${await serviceUrl(f.core, f.rt.config, "shop", "web")}/version`;
  return new Promise((resolve, reject) => {
    const req = get(url, { agent: false, timeout: 3000 }, (res) => {
      let body = "";
      res.setEncoding("utf8");
      res.on("data", (c: string) => (body += c));
      res.on("end", () => resolve(`${res.statusCode} ${body.trim()}`));
    });
    req.on("timeout", () => req.destroy(new Error("timed out")));
    req.on("error", reject);
  });
}

/** Until the traffic-switcher has settled the promotion (its message acknowledged). */
async function switcherSettled(f: Faulty): Promise<void> {
  const s = f.rt.bus.subjects;
  await waitFor("the traffic-switcher to settle PromotionApproved", async () => {
    const info = await f!.rt.bus.jsm.consumers.info(s.eventsStream, `traffic-switcher--${s.ofType("PromotionApproved").split(".")[2]}`);
    return info.num_pending === 0 && info.num_ack_pending === 0;
  }, 30_000, 100);
}

async function promotedThenAborted(rule: Parameters<Faulty["proxy"]["add"]>[0]): Promise<{ f: Faulty; id: string }> {
  f = await startFaulty();
  await namespace(f);
  expect((await f.waitForEnd(await f.releaseOk(v1))).phase).toBe("completed");
  const id = await f.releaseOk(v2);
  await f.waitForPhase(id, "awaiting_promotion");
  // Given the traffic-switcher's next call of this kind is held by the API server
  const slow = f.proxy.add(rule);
  // When the release is promoted, and aborted while that call is held
  expect((await f.promote(id)).accepted).toBe(true);
  await slow.hit;
  expect((await f.abort(id)).accepted).toBe(true);
  const end = await f.waitForEnd(id, 30_000);
  expect(end.phase, JSON.stringify(end.outcome)).toBe("rolled_back");
  // and only then the held call goes on
  slow.release();
  await switcherSettled(f);
  return { f, id };
}

describe("an abort racing the switch", () => {
  test("the Service read before the patch is slow: production stays on v1 and answers", async () => {
    const { f } = await promotedThenAborted({ method: "GET", path: PROD, hold: true, times: 1 });
    await new Promise((r) => setTimeout(r, 500));
    const svc = await f.core.readNamespacedService({ name: "web", namespace: "shop" });
    expect(svc.spec?.selector?.["baton.dev/revision"]).toBe("1");
    expect(await production(f)).toBe("200 1.0.0");
  });

  test("the selector patch itself is slow (it reaches the server after the switch-back): it is refused, production never points at v2", async () => {
    const { f } = await promotedThenAborted({ method: "PATCH", path: PROD, hold: true, times: 1 });
    await new Promise((r) => setTimeout(r, 500));
    const svc = await f.core.readNamespacedService({ name: "web", namespace: "shop" });
    expect(svc.spec?.selector?.["baton.dev/revision"]).toBe("1");
    expect(await production(f)).toBe("200 1.0.0");
    // the late patch failed its resourceVersion precondition: no write ever selected v2
    const toV2 = f.writes().filter((w) => w.resource === "services" && w.name === "web" && (w.body as { spec?: { selector?: Record<string, string> } } | undefined)?.spec?.selector?.["baton.dev/revision"] === "2");
    expect(toV2).toEqual([]);
  });
});
