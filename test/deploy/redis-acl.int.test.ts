import { spawn, execFile, type ChildProcess } from "node:child_process";
import { mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { connect } from "node:net";
import { join } from "node:path";
import { promisify } from "node:util";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { releaseEvents, spec } from "@baton/contracts/testing";
import { connectRedis, ReleaseStore, TimerStore, type Redis } from "@baton/runtime";
import { freePort, waitFor } from "@baton/runtime/testing";
import { STAGE_NAMES } from "./stage-rights.js";

// Given a real redis-server started from deploy/redis/redis.conf with the users rendered by
// deploy/redis/render-acl.sh, each stage runs Baton's own store and timer code as its user; the
// default user is off, and a stage is refused FLUSHALL, keys outside Baton's, and the planner's
// lock and revision bookkeeping.

const REDIS_DIR = join(import.meta.dirname, "../../deploy/redis");
const USERS = [...STAGE_NAMES, "operator", "console", "notifier"];
const envName = (u: string) => `BATON_REDIS_PASSWORD_${u.toUpperCase().replace(/-/g, "_")}`;
const password = (u: string) => `redis-${u}-test-password`;

let dir: string;
let port: number;
let server: ChildProcess;
const clients: Redis[] = [];

async function as(user: string): Promise<Redis> {
  const r = await connectRedis(`redis://${user}:${password(user)}@127.0.0.1:${port}`, `deploy-test-${user}`);
  clients.push(r);
  return r;
}

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), "baton-deploy-redis-"));
  port = await freePort();
  const env = { ...process.env, ...Object.fromEntries(USERS.map((u) => [envName(u), password(u)])) };
  const { stdout } = await promisify(execFile)(join(REDIS_DIR, "render-acl.sh"), [join(REDIS_DIR, "users.acl.template")], { env });
  await writeFile(join(dir, "users.acl"), stdout);
  // the production redis.conf as it is, but for the port, address and folders of this test
  const conf = (await readFile(join(REDIS_DIR, "redis.conf"), "utf8"))
    .replace(/^port .*$/m, `port ${port}`)
    .replace(/^bind .*$/m, "bind 127.0.0.1")
    .replace(/^dir .*$/m, `dir ${dir}`)
    .replace(/^aclfile .*$/m, `aclfile ${join(dir, "users.acl")}`);
  await writeFile(join(dir, "redis.conf"), conf);
  server = spawn(process.env.REDIS_SERVER_BIN ?? "redis-server", [join(dir, "redis.conf")], { stdio: "ignore" });
  await waitFor("redis-server to accept the planner", () => as("planner").then(() => true), 10_000, 50);
});

afterAll(async () => {
  for (const c of clients) c.disconnect();
  if (server && server.exitCode === null) {
    const exited = new Promise((r) => server.once("exit", r));
    server.kill("SIGTERM");
    await exited;
  }
  await rm(dir, { recursive: true, force: true });
});

/** Sends one inline command on a fresh, unauthenticated connection and returns the first reply line. */
function rawCommand(line: string): Promise<string> {
  return new Promise((resolve, reject) => {
    const socket = connect(port, "127.0.0.1", () => socket.write(`${line}\r\n`));
    socket.once("data", (b) => (socket.destroy(), resolve(b.toString().split("\r\n")[0] ?? "")));
    socket.once("error", reject);
  });
}

describe("deploy/redis users on a real redis-server", () => {
  it("renders every user's password as a SHA-256, never in clear, and refuses to render without one", async () => {
    const rendered = await readFile(join(dir, "users.acl"), "utf8");
    for (const u of USERS) expect(rendered).toMatch(new RegExp(`^user ${u} on #[0-9a-f]{64} `, "m"));
    expect(rendered).not.toContain("test-password");
    expect(rendered).toMatch(/^user default off /m);
    const env = { ...process.env, ...Object.fromEntries(USERS.map((u) => [envName(u), password(u)])), [envName("reaper")]: "" };
    await expect(promisify(execFile)(join(REDIS_DIR, "render-acl.sh"), [], { env })).rejects.toThrow(/BATON_REDIS_PASSWORD_REAPER is not set/);
  });

  it("runs a release's store and timer operations as the stages' own users", async () => {
    const ev = releaseEvents("acl-1", "web", "shop");
    const planner = new ReleaseStore(await as("planner"), "baton");
    expect((await planner.apply(ev("ReleaseRequested", { spec: spec() }))).kind).toBe("applied");
    const lock = await planner.acquireLock("shop", "web", "acl-1");
    expect(lock.ok).toBe(true);
    const revision = await planner.allocateRevision("shop", "web", "acl-1", 0);
    expect(revision).toBe(1);
    const fence = lock.ok ? lock.fence : 0;
    expect((await planner.apply(ev("ReleasePlanned", { revision, previousRevision: null, fence }))).kind).toBe("applied");

    const podManager = new ReleaseStore(await as("pod-manager"), "baton");
    expect((await podManager.apply(ev("PodsLive", { revision, ready: 1, desired: 1 }))).kind).toBe("applied");
    expect(await podManager.isFenced((await podManager.get("acl-1"))!.state)).toBe(false);

    const reaper = await as("reaper");
    const timers = new TimerStore(reaper, "baton");
    expect(await timers.add({ id: "acl-1:t", payload: "{}", inMs: 0 })).toBe(true);
    const claimed = await waitFor("the timer to be due", async () => {
      const c = await timers.claim(10, 5000);
      return c.timers.length > 0 ? c.timers : undefined;
    });
    expect(claimed.map((t) => t.id)).toEqual(["acl-1:t"]);
    await timers.ack("acl-1:t");
    expect(await timers.pending()).toBe(0);
    const operator = new ReleaseStore(await as("operator"), "baton");
    expect((await operator.list(10)).map((s) => s.releaseId)).toContain("acl-1");
  });

  it("refuses FLUSHALL, foreign keys, the planner's lock bookkeeping, and the default user", async () => {
    const validator = await as("validator");
    await expect(validator.flushall()).rejects.toThrow(/NOPERM/);
    await expect(validator.keys("*")).rejects.toThrow(/NOPERM/);
    await expect(validator.config("GET", "*")).rejects.toThrow(/NOPERM/);
    await expect(validator.hget("other-app:session", "x")).rejects.toThrow(/NOPERM/);
    await expect(validator.hget("baton:{shop/web}:fence", "x")).rejects.toThrow(/NOPERM/);
    await expect(new ReleaseStore(validator, "baton").acquireLock("shop", "web", "acl-2")).rejects.toThrow(/NOPERM/);
    await expect(new ReleaseStore(validator, "baton").allocateRevision("shop", "web", "acl-2", 0)).rejects.toThrow(/NOPERM/);
    // a connection that does not authenticate (the default user) is refused every command
    expect(await rawCommand("GET baton:index")).toMatch(/^-NOAUTH/);
  });
});
