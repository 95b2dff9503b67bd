import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { eventToken, type EventName } from "@baton/contracts";
import { connect, type NatsConnection } from "@nats-io/transport-node";
import { jetstream } from "@nats-io/jetstream";
import { ack, Bus, consume, createLogger, type Consumption } from "@baton/runtime";
import { waitFor } from "@baton/runtime/testing";
import { startDeployNats, type DeployNats } from "./nats-config.js";
import { STAGE_NAMES, STAGE_RIGHTS, TIMER_EVENTS, type StageName } from "./stage-rights.js";

// Given a real nats-server running the users of deploy/nats/accounts.conf, each stage connects as
// its own user, ensures the streams, creates its durables, publishes its own events and consumes
// what the others publish for it — and is refused another stage's events and consumers.

const log = createLogger({ service: "deploy-test", level: "silent" });
const USERS = [...STAGE_NAMES, "publisher", "operator", "team-a", "console", "notifier"];
let nats: DeployNats;
const buses = new Map<string, Bus>();

const subject = (e: EventName, rid = "r1") => `baton.evt.${eventToken(e)}.shop.web.${rid}`;

async function busAs(user: string): Promise<Bus> {
  const bus = await Bus.connect({ url: nats.url, prefix: "baton", name: `deploy-test-${user}`, user, password: nats.password(user), logger: log });
  buses.set(`${user}-${buses.size}`, bus);
  return bus;
}

/** Who may publish an event in the table: a stage that emits it, or the operator for its two levers. */
function publisherOf(e: EventName): string {
  if (e === "PromotionApproved" || e === "AbortRequested") return "operator";
  if (TIMER_EVENTS.includes(e)) return "reaper";
  const s = STAGE_NAMES.find((n) => STAGE_RIGHTS[n].emits.includes(e));
  if (s === undefined) throw new Error(`no stage emits ${e}`);
  return s;
}

beforeAll(async () => {
  nats = await startDeployNats(USERS);
});

afterAll(async () => {
  await Promise.all([...buses.values()].map((b) => b.close()));
  await nats?.stop();
});

describe("deploy/nats accounts on a real nats-server", () => {
  it("lets each stage ensure the streams, create its durables and consume what others publish for it", async () => {
    const consumptions: Consumption[] = [];
    const seen = new Map<string, number>();
    const own = new Map<StageName, Bus>();
    for (const stage of STAGE_NAMES) {
      const bus = await busAs(stage);
      own.set(stage, bus);
      await bus.ensureStreams();
      for (const event of STAGE_RIGHTS[stage].consumes) {
        const spec = { stage, event, concurrency: 4, maxDeliver: 3, ackWaitMs: 5000 };
        consumptions.push(
          await consume(bus, spec, async () => {
            seen.set(`${stage}/${event}`, (seen.get(`${stage}/${event}`) ?? 0) + 1);
            return ack;
          }, { log }),
        );
      }
    }
    const consumed = [...new Set(STAGE_NAMES.flatMap((s) => STAGE_RIGHTS[s].consumes))];
    for (const event of consumed) {
      const bus = await busAs(publisherOf(event));
      await bus.js.publish(subject(event), "{}", { msgID: `ok-${event}` });
    }
    const wanted = STAGE_NAMES.flatMap((s) => STAGE_RIGHTS[s].consumes.map((e) => `${s}/${e}`));
    await waitFor("every stage to receive its events", () => wanted.every((k) => seen.get(k) === 1), 10_000);
    for (const stage of STAGE_NAMES) {
      const bus = own.get(stage) as Bus;
      for (const event of STAGE_RIGHTS[stage].consumes) {
        const durable = `${stage}--${eventToken(event)}`;
        // the acks reached the server: nothing left pending or awaiting an ack
        await waitFor(`${durable} acked`, async () => {
          const info = await bus.jsm.consumers.info("BATON_EVENTS", durable);
          return info.num_ack_pending === 0 && info.num_pending === 0 && info.delivered.consumer_seq === 1;
        }, 5000);
      }
    }
    await Promise.all(consumptions.map((c) => c.stop()));
  });

  it("accepts every stage's own events and timer events, and refuses another stage's", async () => {
    for (const stage of STAGE_NAMES) {
      const bus = await busAs(stage);
      for (const event of [...STAGE_RIGHTS[stage].emits, ...TIMER_EVENTS]) {
        const ack = await bus.js.publish(subject(event, `own-${stage}`), "{}", { msgID: `own-${stage}-${event}` });
        expect(ack.stream).toBe("BATON_EVENTS");
      }
      const foreign = STAGE_NAMES.filter((s) => s !== stage).flatMap((s) => STAGE_RIGHTS[s].emits).filter((e) => !STAGE_RIGHTS[stage].emits.includes(e));
      for (const event of new Set(foreign)) {
        await expect(bus.js.publish(subject(event, `foreign-${stage}`), "{}", { msgID: `foreign-${stage}-${event}`, timeout: 2000 }), `${stage} publishing ${event}`).rejects.toThrow(/permission/i);
      }
    }
  });

  it("refuses a stage another stage's consumer, and the publisher anything but the intake", async () => {
    const validator = await busAs("validator");
    await expect(validator.js.consumers.get("BATON_EVENTS", "pod-manager--planned")).rejects.toThrow(/permission/i);
    const next = validator.nc.request("$JS.API.CONSUMER.MSG.NEXT.BATON_EVENTS.pod-manager--planned", JSON.stringify({ batch: 1, expires: 1e9 }), { timeout: 2000 });
    await expect(next).rejects.toThrow(/permission/i);
    await expect(validator.jsm.streams.delete("BATON_EVENTS")).rejects.toThrow(/permission/i);

    const publisher = await Bus.connect({ url: nats.url, prefix: "baton", name: "deploy-test-publisher", user: "publisher", password: nats.password("publisher"), logger: log }).catch((e: unknown) => e as Error);
    // the publisher has no JetStream API right at all: even connecting the runtime's Bus fails
    expect(publisher).toBeInstanceOf(Error);
  });

  it("lets the console read the streams and send only promote and abort; the notifier its own durables and no event", async () => {
    const web = await busAs("console");
    await web.ensureStreams();
    await web.js.publish(subject("PromotionApproved", "web-1"), "{}", { msgID: "web-promote" });
    await web.js.publish(subject("AbortRequested", "web-1"), "{}", { msgID: "web-abort" });
    await expect(web.js.publish(subject("ReleasePlanned", "web-1"), "{}", { msgID: "web-planned", timeout: 2000 })).rejects.toThrow(/permission/i);
    expect((await web.readAll("BATON_EVENTS", "baton.evt.*.*.*.web-1")).length).toBe(2);
    const ordered = await web.js.consumers.get("BATON_EVENTS", { filter_subjects: "baton.evt.>" });
    expect((await ordered.next({ expires: 2000 }))?.subject).toMatch(/^baton\.evt\./);

    const notifier = await busAs("notifier");
    await notifier.ensureStreams();
    const seen: string[] = [];
    const handle = async (d: { msg: { subject: string } }) => {
      seen.push(d.msg.subject);
      return ack;
    };
    const c1 = await consume(notifier, { stage: "notifier", event: "ReleaseCompleted", concurrency: 2, maxDeliver: 3, ackWaitMs: 5000 }, handle, { log });
    const c2 = await consume(notifier, { stage: "notifier", event: "unknown", concurrency: 2, maxDeliver: 3, ackWaitMs: 5000, from: { stream: "BATON_DLQ", filter: "baton.dlq.>", durable: "notifier--dead_letters" } }, handle, { log });
    await (await busAs("reaper")).js.publish(subject("ReleaseCompleted", "n-1"), "{}", { msgID: "n-completed" });
    await (await busAs("validator")).js.publish("baton.dlq.validator.pods_live", "{}", { msgID: "n-dlq" });
    await waitFor("the notifier's two durables to deliver", () => (seen.includes("baton.evt.completed.shop.web.n-1") && seen.includes("baton.dlq.validator.pods_live")) || undefined, 5000);
    await expect(notifier.js.publish(subject("ReleaseCompleted", "n-2"), "{}", { msgID: "n-forged", timeout: 2000 })).rejects.toThrow(/permission/i);
    await expect(notifier.js.consumers.get("BATON_EVENTS", "reaper--traffic_switched")).rejects.toThrow(/permission/i);
    await Promise.all([c1.stop(), c2.stop()]);
  });
});

describe("who may release what: a team's user (issue 22, item 3)", () => {
  it("releases, promotes and aborts in its own namespace only: the NATS server itself refuses team-b's and the plain intake", async () => {
    // Given the planner answering every intake subject, as it does
    const planner = await busAs("planner");
    await planner.ensureStreams();
    const served: string[] = [];
    planner.serve("baton.intake.>", "baton-planner", async (m) => {
      served.push(m.subject);
      return { ok: true, releaseId: "r1" };
    });
    await planner.nc.flush();
    // and team-a's user, replies on its own inbox prefix
    const team: NatsConnection = await connect({ servers: nats.url, user: "team-a", pass: nats.password("team-a"), inboxPrefix: "_INBOX_team-a", name: "deploy-test-team-a" });
    try {
      const js = jetstream(team);
      const body = JSON.stringify({ app: "web", namespace: "team-a", image: "baton.dev/demo-app:2.0.0" });

      // When it releases, promotes and aborts in team-a: accepted
      expect((await team.request("baton.intake.team-a", body, { timeout: 2000 })).json()).toEqual({ ok: true, releaseId: "r1" });
      for (const type of ["promotion_approved", "abort_requested"]) {
        expect((await js.publish(`baton.evt.${type}.team-a.web.r1`, "{}", { msgID: `team-a-${type}` })).stream).toBe("BATON_EVENTS");
      }
      // Then team-b's intake, the plain intake and team-b's promote/abort are refused by the server
      await expect(team.request("baton.intake.team-b", body, { timeout: 2000 }), "team-b's intake").rejects.toThrow(/permission/i);
      await expect(team.request("baton.intake", body, { timeout: 2000 }), "the plain intake").rejects.toThrow(/permission/i);
      for (const type of ["promotion_approved", "abort_requested"]) {
        await expect(js.publish(`baton.evt.${type}.team-b.pay.r2`, "{}", { msgID: `team-b-${type}`, timeout: 2000 }), type).rejects.toThrow(/permission/i);
      }
      // and any other event of its own namespace (it may not pretend to be a stage)
      await expect(js.publish("baton.evt.traffic_switched.team-a.web.r1", "{}", { msgID: "team-a-switched", timeout: 2000 })).rejects.toThrow(/permission/i);
      expect(served).toEqual(["baton.intake.team-a"]);
      // nor may it read the replies of other users
      const spy = team.subscribe("_INBOX.>");
      await expect(spy.closed).resolves.toBeInstanceOf(Error);
    } finally {
      await team.close();
    }
  });
});
