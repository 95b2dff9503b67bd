import { execFile } from "node:child_process";
import { mkdtemp, readFile, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { promisify } from "node:util";
import { describe, expect, it } from "vitest";

// There is no Docker engine here: the image was never built. What can be checked is the
// Dockerfile's shape, and that nats-server accepts the production config.

const ROOT = join(import.meta.dirname, "../..");

interface Stage {
  readonly from: string;
  readonly name: string | undefined;
  readonly lines: string[];
}

/** The build stages of a Dockerfile: FROM … [AS name] and the instructions under it (continuations joined). */
function stages(text: string): Stage[] {
  const lines = text.replace(/\\\n/g, " ").split("\n").map((l) => l.trim()).filter((l) => l !== "" && !l.startsWith("#"));
  const out: { from: string; name: string | undefined; lines: string[] }[] = [];
  for (const l of lines) {
    const from = /^FROM\s+(\S+)(?:\s+AS\s+(\S+))?/i.exec(l);
    if (from) out.push({ from: from[1] as string, name: from[2], lines: [] });
    else out.at(-1)?.lines.push(l);
  }
  return out;
}

describe("the Dockerfile", () => {
  it("builds on Node 20 slim with the pinned pnpm and the lockfile, and ships a non-root image of production dependencies", async () => {
    const all = stages(await readFile(join(ROOT, "Dockerfile"), "utf8"));
    expect(all.length).toBeGreaterThanOrEqual(2);
    for (const s of all) expect(s.from).toMatch(/^node:20\.\d+-bookworm-slim$/);
    const build = all[0] as Stage;
    const final = all.at(-1) as Stage;
    expect(build.lines.join("\n")).toMatch(/npm install --global pnpm@10\.34\.9/);
    expect(build.lines.join("\n")).toMatch(/pnpm install --frozen-lockfile/);
    expect(build.lines.join("\n")).toMatch(/pnpm build/);
    expect(build.lines.join("\n")).toMatch(/deploy --prod/);
    // the final stage copies only the production deploy, never the build tree or its node_modules
    const copies = final.lines.filter((l) => /^COPY/i.test(l));
    expect(copies.length).toBeGreaterThan(0);
    for (const c of copies) expect(c).toMatch(/--from=build\S* .*\/out\/baton /);
    expect(final.lines.join("\n")).not.toMatch(/pnpm install|npm install|devDependencies/);
    const user = final.lines.filter((l) => /^USER /i.test(l)).at(-1);
    expect(user).toBe("USER 10001:10001");
    expect(final.lines).toContain('ENTRYPOINT ["node", "packages/cli/dist/main.js", "serve"]');
    expect(final.lines.some((l) => /^CMD \["planner"\]$/.test(l))).toBe(true);
  });

  it("keeps dependencies, build output and secrets out of the build context", async () => {
    const ignore = (await readFile(join(ROOT, ".dockerignore"), "utf8")).split("\n");
    for (const p of ["**/node_modules", "**/dist", ".git"]) expect(ignore).toContain(p);
  });
});

describe("deploy/nats/nats-server.conf", () => {
  it("asks for fsync on every write and zone placement, and parses on the local nats-server (without the 2.10+ sync_interval)", async () => {
    const conf = await readFile(join(ROOT, "deploy/nats/nats-server.conf"), "utf8");
    expect(conf).toMatch(/^\s*sync_interval: always$/m);
    expect(conf).toMatch(/^\s*unique_tag: "az:"$/m);
    expect(conf).toMatch(/^server_tags: \[\$NATS_ZONE_TAG\]$/m);
    expect(conf.match(/nats:\/\/nats-\d\.nats-headless/g)).toHaveLength(3);
    const dir = await mkdtemp(join(tmpdir(), "baton-nats-conf-"));
    await writeFile(join(dir, "nats-server.conf"), conf.replace(/^\s*sync_interval: always$/m, "").replace("/data/jetstream", join(dir, "js")));
    await writeFile(join(dir, "accounts.conf"), await readFile(join(ROOT, "deploy/nats/accounts.conf"), "utf8"));
    const env: Record<string, string> = { ...(process.env as Record<string, string>), POD_NAME: "nats-0", NATS_ZONE_TAG: "az:zone-a", NATS_SYS_PASSWORD: "x" };
    for (const u of ["PLANNER", "POD_MANAGER", "VALIDATOR", "TRAFFIC_SWITCHER", "REAPER", "PUBLISHER", "OPERATOR", "TEAM_A", "CONSOLE", "NOTIFIER"]) env[`BATON_NATS_PASSWORD_${u}`] = "x";
    const r = await promisify(execFile)(process.env.NATS_SERVER_BIN ?? "nats-server", ["-t", "-c", join(dir, "nats-server.conf")], { env }).then(
      () => "ok",
      (e: { stderr?: string }) => e.stderr ?? "failed",
    );
    expect(r).toBe("ok");
  });
});
