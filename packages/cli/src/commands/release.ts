import { readFile } from "node:fs/promises";
import { headers, RequestError } from "@nats-io/transport-node";
import { parse as parseYaml } from "yaml";
import { DNS1123_LABEL, isTerminal, type Reason, type ReleaseState } from "@baton/contracts";
import type { OpenRuntime } from "@baton/runtime";
import { withRuntime } from "../connect.js";
import { CliError, EXIT } from "../errors.js";
import { follow } from "../follow.js";
import { plainDisplay, ttyDisplay } from "../watch.js";

export interface ReleaseFlags {
  file?: string;
  app?: string;
  namespace?: string;
  image?: string;
  replicas?: string;
  liveThreshold?: string;
  port?: string;
  promotion?: string;
  shutdownDelay?: string;
  gracePeriod?: string;
  releaseId?: string;
  watch?: boolean;
  json?: boolean;
  timeout?: string;
  by?: string;
}

export type IntakeReply =
  | { ok: true; releaseId: string; duplicate?: boolean; phase?: string }
  | { ok: false; releaseId?: string; reasons?: Reason[]; error?: string };

/** The intake body: a spec file (YAML or JSON) with flags over it. */
export async function requestBody(f: ReleaseFlags): Promise<Record<string, unknown>> {
  const body: Record<string, unknown> = f.file ? await readSpecFile(f.file) : {};
  const num = (v: string | undefined, name: string) => {
    if (v === undefined) return undefined;
    const n = Number(v);
    if (!Number.isFinite(n)) throw new CliError(`--${name}: must be a number (got "${v}")`);
    return n;
  };
  const set = (k: string, v: unknown) => v !== undefined && (body[k] = v);
  set("app", f.app);
  set("namespace", f.namespace ?? (body.namespace === undefined ? "default" : undefined));
  set("image", f.image);
  set("replicas", num(f.replicas, "replicas"));
  set("liveThreshold", num(f.liveThreshold, "live-threshold"));
  set("port", num(f.port, "port"));
  set("promotion", f.promotion);
  set("releaseId", f.releaseId);
  if (f.shutdownDelay !== undefined || f.gracePeriod !== undefined) {
    const shutdown = { ...(body.shutdown as Record<string, unknown> | undefined) };
    if (f.shutdownDelay !== undefined) shutdown.delaySeconds = num(f.shutdownDelay, "shutdown-delay");
    if (f.gracePeriod !== undefined) shutdown.gracePeriodSeconds = num(f.gracePeriod, "grace-period");
    body.shutdown = shutdown;
  }
  return body;
}

async function readSpecFile(path: string): Promise<Record<string, unknown>> {
  let text: string;
  try {
    text = await readFile(path, "utf8");
  } catch (err) {
    throw new CliError(`cannot read ${path}: ${(err as Error).message}`);
  }
  try {
    const v: unknown = path.endsWith(".json") ? JSON.parse(text) : parseYaml(text);
    if (typeof v !== "object" || v === null || Array.isArray(v)) throw new Error("the file must hold one object (the release spec)");
    return v as Record<string, unknown>;
  } catch (err) {
    throw new CliError(`${path}: ${(err as Error).message}`);
  }
}

/**
 * Sends a request to the intake of the body's namespace (`<prefix>.intake.<namespace>`, the
 * subject NATS permissions are written for) and returns the planner's answer. A body naming no
 * valid namespace goes to the plain intake, which says why it is refused.
 */
export async function submit(rt: OpenRuntime, body: Record<string, unknown>, by: string): Promise<IntakeReply> {
  const h = headers();
  h.set("Baton-Requested-By", by);
  const ns = body.namespace;
  const subject = typeof ns === "string" && DNS1123_LABEL.test(ns) ? rt.bus.subjects.intakeOf(ns) : rt.bus.subjects.intake;
  try {
    const m = await rt.bus.nc.request(subject, JSON.stringify(body), { timeout: 10_000, headers: h });
    return m.json<IntakeReply>();
  } catch (err) {
    if (err instanceof RequestError && err.isNoResponders()) {
      throw new CliError(`no planner is answering on ${subject}: start Baton (\`pnpm baton dev\`, or \`pnpm baton serve planner\`)`);
    }
    throw new CliError(`the intake did not answer on ${subject}: ${(err as Error).message}`);
  }
}

export function exitCodeOf(state: ReleaseState | undefined): number {
  switch (state?.phase) {
    case "completed":
      return EXIT.ok;
    case "rolled_back":
      return EXIT.rolledBack;
    case "rejected":
      return EXIT.rejected;
    case "failed":
      return EXIT.failed;
    default:
      return EXIT.timeout;
  }
}

export async function releaseCommand(f: ReleaseFlags): Promise<number> {
  const body = await requestBody(f);
  return withRuntime(async (rt) => {
    const reply = await submit(rt, body, f.by ?? process.env.USER ?? "cli");
    if (!reply.ok) {
      if (f.json) process.stdout.write(`${JSON.stringify(reply)}\n`);
      else {
        process.stderr.write(`release rejected${reply.releaseId ? ` (${reply.releaseId})` : ""}:\n`);
        for (const r of reply.reasons ?? [{ message: reply.error ?? "unknown error" }]) process.stderr.write(`  - ${r.message}\n`);
      }
      return EXIT.rejected;
    }
    if (!f.watch) {
      process.stdout.write(f.json ? `${JSON.stringify(reply)}\n` : `${reply.releaseId}\n`);
      return EXIT.ok;
    }
    return watchRelease(rt, reply.releaseId, f);
  });
}

export async function watchRelease(rt: OpenRuntime, releaseId: string, f: { json?: boolean; timeout?: string }): Promise<number> {
  const display = f.json ? undefined : process.stdout.isTTY ? ttyDisplay(releaseId) : plainDisplay();
  const controller = new AbortController();
  const seconds = Number(f.timeout ?? 3600);
  const timer = setTimeout(() => controller.abort(), seconds * 1000);
  try {
    const state = await follow(
      rt,
      releaseId,
      {
        onEvent: (e, s) => (display ? display.event(e, s) : process.stdout.write(`${JSON.stringify({ ...e, name: undefined })}\n`)),
        onProgress: (p) => display?.progress(p),
      },
      controller.signal,
    );
    display?.end();
    if (state === undefined || !isTerminal(state.phase)) {
      process.stderr.write(`baton: stopped watching ${releaseId} after ${seconds}s; it is ${state?.phase ?? "unknown"}\n`);
    } else if (!f.json) {
      process.stdout.write(`${releaseId}: ${state.phase}${state.outcome ? ` — ${state.outcome.reason}` : ""}\n`);
    }
    return exitCodeOf(state);
  } finally {
    clearTimeout(timer);
  }
}
