import { execFile } from "node:child_process";
import { existsSync, readFileSync, statSync } from "node:fs";
import { mkdir, readdir } from "node:fs/promises";
import { createRequire } from "node:module";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { promisify } from "node:util";
import type { Browser, Page } from "playwright-core";

// Debian's Chromium driven by playwright-core (no browser download): found or the tests say why
// they cannot run; the console's front end built when its sources are newer than its build;
// axe-core injected into a page to check it.

const ROOT = resolve(import.meta.dirname, "../..");
const WEB = join(ROOT, "packages/console-web");
const run = promisify(execFile);

export const CHROMIUM = process.env.BATON_TEST_CHROMIUM ?? "/usr/bin/chromium";

/** Why the browser tests cannot run here, or undefined when they can. */
export function browserMissing(): string | undefined {
  return existsSync(CHROMIUM) ? undefined : `no Chromium at ${CHROMIUM} (scripts/test installs Debian's chromium; or set BATON_TEST_CHROMIUM)`;
}

export async function launch(): Promise<Browser> {
  const { chromium } = await import("playwright-core");
  // playwright-core gives every launch a fresh, empty profile directory of its own.
  return chromium.launch({
    executablePath: CHROMIUM,
    headless: true,
    args: ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update", "--disable-sync", "--no-first-run", "--disable-dev-shm-usage"],
  });
}

async function newest(dir: string): Promise<number> {
  let t = 0;
  for (const e of await readdir(dir, { withFileTypes: true })) {
    const p = join(dir, e.name);
    t = Math.max(t, e.isDirectory() ? await newest(p) : statSync(p).mtimeMs);
  }
  return t;
}

/** `pnpm build` of the front end, when dist/ is missing or older than its sources. */
export async function ensureWebBuilt(): Promise<string> {
  const index = join(WEB, "dist/index.html");
  const built = existsSync(index) ? statSync(index).mtimeMs : 0;
  if (built < Math.max(await newest(join(WEB, "src")), statSync(join(WEB, "index.html")).mtimeMs)) {
    await run(process.execPath, [join(WEB, "node_modules/vite/bin/vite.js"), "build", "--logLevel", "warn"], { cwd: WEB });
  }
  return join(WEB, "dist");
}

/** The page's globals these functions use when they run in the browser (the tests compile without the DOM library). */
declare const document: unknown;

const AXE = readFileSync(createRequire(import.meta.url).resolve("axe-core/axe.min.js"), "utf8");

export interface AxeViolation {
  readonly id: string;
  readonly impact: string | null;
  readonly help: string;
  readonly nodes: number;
}

/** axe-core's serious and critical violations on the page as it is now (WCAG 2.x A and AA rules). */
export async function seriousViolations(page: Page): Promise<AxeViolation[]> {
  await page.evaluate(AXE);
  const result = await page.evaluate(async () => {
    const axe = (globalThis as unknown as { axe: { run(ctx: unknown, opts: unknown): Promise<{ violations: { id: string; impact: string | null; help: string; nodes: unknown[] }[] }> } }).axe;
    const r = await axe.run(document, { runOnly: { type: "tag", values: ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa", "best-practice"] } });
    return r.violations.map((v) => ({ id: v.id, impact: v.impact, help: v.help, nodes: v.nodes.length }));
  });
  return result.filter((v) => v.impact === "serious" || v.impact === "critical");
}

/** Where screenshots go: BATON_CONSOLE_SCREENSHOTS (docs/console for the README), else a temporary folder. */
export async function screenshotDir(): Promise<string> {
  const dir = process.env.BATON_CONSOLE_SCREENSHOTS ? resolve(ROOT, process.env.BATON_CONSOLE_SCREENSHOTS) : join(tmpdir(), "baton-console-screenshots");
  await mkdir(dir, { recursive: true });
  return dir;
}
