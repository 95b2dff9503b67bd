import { spawn } from "node:child_process";
import { join, resolve } from "node:path";

// Runs the `baton` command as a person or a script runs it: a separate node process on the CLI's
// sources (node directly, not a pnpm/tsx wrapper, so killing it ends the whole command).

export const ROOT = resolve(import.meta.dirname, "../..");
export const CLI = join(ROOT, "packages/cli/src/main.ts");
/** node's arguments that run the CLI from its sources. */
export const CLI_ARGS = ["--conditions=source", "--import", "tsx", CLI] as const;

export interface Run {
  code: number;
  stdout: string;
  stderr: string;
}

/** Runs `baton <args>` to its end with stdout and stderr captured. */
export function baton(args: string[], env: Record<string, string> = {}): Promise<Run> {
  return runProcess(process.execPath, [...CLI_ARGS, ...args], env);
}

/** Runs `bash -c <script>` with "$@" = node's arguments to run the CLI (for pipelines). */
export function batonInShell(script: string, args: string[], env: Record<string, string> = {}): Promise<Run> {
  return runProcess("bash", ["-c", script, "baton", process.execPath, ...CLI_ARGS, ...args], env);
}

function runProcess(file: string, args: string[], env: Record<string, string>): Promise<Run> {
  return new Promise((done, fail) => {
    const child = spawn(file, args, {
      cwd: ROOT,
      env: { ...process.env, NO_COLOR: "1", ...env },
      stdio: ["ignore", "pipe", "pipe"],
    });
    let stdout = "";
    let stderr = "";
    child.stdout.on("data", (c: Buffer) => (stdout += c.toString()));
    child.stderr.on("data", (c: Buffer) => (stderr += c.toString()));
    child.on("error", fail);
    child.on("close", (code) => done({ code: code ?? -1, stdout, stderr }));
  });
}
