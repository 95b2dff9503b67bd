import { spawn } from "node:child_process";
import { mkdtemp, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { StringDecoder } from "node:string_decoder";
import { CLI_ARGS, ROOT } from "./run-cli.js";
import { VtScreen } from "./vt-screen.js";

// Runs `baton` in a pseudo-terminal of a fixed size, as a person at a terminal runs it, and feeds
// what it writes to a VtScreen. The pseudo-terminal comes from util-linux's `script` (Debian's
// bsdutils, an essential package: on every Debian with node), no native module. The terminal can
// be resized while the command runs: `stty cols` on the pseudo-terminal (the kernel sends the
// command SIGWINCH), with a marker in the output where the change happened, for the VtScreen.

const DRIVER = `#!/usr/bin/env bash
stty cols "$1" rows "$2"; shift 2
"$@" &
pid=$!
while kill -0 "$pid" 2>/dev/null; do
  if [ -e "$BATON_TEST_RESIZE" ]; then
    c=$(cat "$BATON_TEST_RESIZE"); rm -f "$BATON_TEST_RESIZE"
    stty cols "$c"; printf '\\033]9999;resized=%s\\007' "$c"
  fi
  sleep 0.05
done
wait "$pid"
`;

const quote = (s: string) => `'${s.replace(/'/g, `'\\''`)}'`;

export interface Terminal {
  readonly screen: VtScreen;
  /** Everything the command wrote, as bytes decoded. */
  raw(): string;
  /** Makes the terminal `cols` wide; resolves once the screen has taken the new width. */
  resize(cols: number): Promise<void>;
  readonly exited: Promise<number>;
  kill(): void;
}

/** `reflow`: the terminal re-wraps lines on a resize (most do; xterm does not). */
export async function runInTerminal(args: string[], size: { cols: number; rows: number; reflow?: boolean }, env: Record<string, string>): Promise<Terminal> {
  const dir = await mkdtemp(join(tmpdir(), "baton-pty-"));
  const driver = join(dir, "driver.sh");
  await writeFile(driver, DRIVER, { mode: 0o755 });
  const resizeFile = join(dir, "resize");
  const command = [driver, String(size.cols), String(size.rows), process.execPath, ...CLI_ARGS, ...args].map(quote).join(" ");
  const { NO_COLOR: _n, ...inherited } = process.env;
  const child = spawn("script", ["-qfec", command, "/dev/null"], {
    cwd: ROOT,
    env: { ...inherited, TERM: "xterm-256color", BATON_TEST_RESIZE: resizeFile, ...env },
    stdio: ["ignore", "pipe", "pipe"],
  });
  const screen = new VtScreen(size.cols, size.rows, size.reflow ?? false);
  const decoder = new StringDecoder("utf8");
  let raw = "";
  child.stdout.on("data", (c: Buffer) => {
    const text = decoder.write(c);
    raw += text;
    screen.write(text);
  });
  let stderr = "";
  child.stderr.on("data", (c: Buffer) => (stderr += c.toString()));
  const exited = new Promise<number>((resolve, reject) => {
    child.on("error", reject);
    child.on("close", (code) => (code === null ? reject(new Error(`script ended by a signal; stderr: ${stderr}`)) : resolve(code)));
  });
  return {
    screen,
    raw: () => raw,
    async resize(cols) {
      const before = screen.resizes;
      await writeFile(resizeFile, String(cols));
      // the driver looks for the request every 50 ms; a loaded machine can take seconds
      for (let i = 0; i < 1200 && screen.resizes === before; i++) await new Promise((r) => setTimeout(r, 25));
      if (screen.resizes === before) throw new Error("the terminal was not resized");
    },
    exited,
    kill: () => void child.kill("SIGTERM"),
  };
}
