import { spawn, type ChildProcess } from "node:child_process";
import { copyFile, mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { connect } from "node:net";
import { setTimeout as sleep } from "node:timers/promises";
import { freePort } from "@baton/runtime/testing";

// Reading deploy/nats/accounts.conf (the users' permissions) and starting a real nats-server with
// it, for the tests of test/deploy.

export const DEPLOY_NATS = join(import.meta.dirname, "../../deploy/nats");

export interface NatsUserPermissions {
  readonly user: string;
  readonly publish: readonly string[];
  readonly subscribe: readonly string[];
  readonly allowResponses: boolean;
}

/** Whether a NATS subject matches a permission pattern (`*` one token, `>` one or more at the end). */
export function subjectMatches(pattern: string, subject: string): boolean {
  const p = pattern.split(".");
  const s = subject.split(".");
  for (let i = 0; i < p.length; i++) {
    if (p[i] === ">") return s.length > i;
    if (i >= s.length) return false;
    if (p[i] !== "*" && p[i] !== s[i]) return false;
  }
  return p.length === s.length;
}

export function allowed(patterns: readonly string[], subject: string): boolean {
  return patterns.some((p) => subjectMatches(p, subject));
}

/** The users of accounts.conf with their allow lists (the file's own layout: one user block each). */
export function parseAccounts(text: string): NatsUserPermissions[] {
  const body = text.replace(/#.*$/gm, "");
  const users: NatsUserPermissions[] = [];
  const re = /user:\s*([\w-]+)\s*\n\s*password:[^\n]*\n\s*permissions:\s*\{([\s\S]*?)\n {8}\}/g;
  for (const m of body.matchAll(re)) {
    const perms = m[2] ?? "";
    const list = (kind: string) => {
      const block = new RegExp(`${kind}:\\s*\\{\\s*allow:\\s*\\[([\\s\\S]*?)\\]`).exec(perms)?.[1] ?? "";
      return [...block.matchAll(/"([^"]+)"/g)].map((x) => x[1] as string);
    };
    users.push({ user: m[1] as string, publish: list("publish"), subscribe: list("subscribe"), allowResponses: /allow_responses:\s*true/.test(perms) });
  }
  return users;
}

export async function readAccounts(): Promise<NatsUserPermissions[]> {
  return parseAccounts(await readFile(join(DEPLOY_NATS, "accounts.conf"), "utf8"));
}

export function passwordEnv(user: string): string {
  return `BATON_NATS_PASSWORD_${user.toUpperCase().replace(/-/g, "_")}`;
}

export interface DeployNats {
  readonly url: string;
  password(user: string): string;
  stop(): Promise<void>;
}

/**
 * A nats-server (JetStream, file store in a temp folder) on a free loopback port, with the users
 * of deploy/nats/accounts.conf included as they are, passwords set through the environment.
 */
export async function startDeployNats(users: readonly string[]): Promise<DeployNats> {
  const dir = await mkdtemp(join(tmpdir(), "baton-deploy-nats-"));
  const port = await freePort();
  await copyFile(join(DEPLOY_NATS, "accounts.conf"), join(dir, "accounts.conf"));
  await writeFile(
    join(dir, "server.conf"),
    `listen: 127.0.0.1:${port}\njetstream { store_dir: "${join(dir, "js")}" }\ninclude ./accounts.conf\n`,
  );
  const env: Record<string, string> = { ...process.env, NATS_SYS_PASSWORD: "sys-test" } as Record<string, string>;
  for (const u of users) env[passwordEnv(u)] = `pw-${u}-test`;
  const child: ChildProcess = spawn(process.env.NATS_SERVER_BIN ?? "nats-server", ["-c", join(dir, "server.conf")], { env, stdio: ["ignore", "ignore", "pipe"] });
  let stderr = "";
  child.stderr?.on("data", (b: Buffer) => (stderr += b.toString()));
  await waitListening(port, () => (child.exitCode !== null ? `nats-server exited: ${stderr}` : undefined));
  return {
    url: `nats://127.0.0.1:${port}`,
    password: (u) => `pw-${u}-test`,
    async stop() {
      if (child.exitCode === null) {
        const exited = new Promise((r) => child.once("exit", r));
        child.kill("SIGTERM");
        await exited;
      }
      await rm(dir, { recursive: true, force: true });
    },
  };
}

async function waitListening(port: number, failed: () => string | undefined): Promise<void> {
  const deadline = Date.now() + 10_000;
  while (Date.now() < deadline) {
    const why = failed();
    if (why !== undefined) throw new Error(why);
    const ok = await new Promise<boolean>((resolve) => {
      const s = connect(port, "127.0.0.1");
      s.once("connect", () => (s.destroy(), resolve(true)));
      s.once("error", () => resolve(false));
    });
    if (ok) return;
    await sleep(25);
  }
  throw new Error(`nats-server on port ${port} did not start listening`);
}
