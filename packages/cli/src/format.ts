// Small text helpers for people reading a terminal.

export function duration(ms: number): string {
  if (!Number.isFinite(ms) || ms < 0) return "-";
  if (ms < 1000) return `${Math.round(ms)}ms`;
  if (ms < 60_000) return `${(ms / 1000).toFixed(ms < 10_000 ? 2 : 1)}s`;
  const total = Math.round(ms / 1000); // round once, so 119.98 s reads 2m00s, not 1m60s
  const m = Math.floor(total / 60);
  const s = total % 60;
  if (m < 60) return `${m}m${String(s).padStart(2, "0")}s`;
  return `${Math.floor(m / 60)}h${String(m % 60).padStart(2, "0")}m`;
}

/** "1 check", "2 checks": a count with its noun. */
export function plural(n: number, noun: string, nouns = `${noun}s`): string {
  return `${n} ${n === 1 ? noun : nouns}`;
}

export function age(iso: string, now = Date.now()): string {
  return duration(now - Date.parse(iso));
}

/** A left-aligned table with a header row. */
export function table(header: string[], rows: string[][]): string {
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => (r[i] ?? "").length)));
  const line = (cells: string[]) => cells.map((c, i) => c.padEnd(widths[i] ?? 0)).join("  ").trimEnd();
  return [line(header), ...rows.map(line)].join("\n");
}

export function bar(done: number, total: number, width = 20): string {
  const f = total <= 0 ? 0 : Math.min(1, done / total);
  const full = Math.round(f * width);
  return `[${"#".repeat(full)}${".".repeat(width - full)}]`;
}

export const color = {
  enabled: process.stdout.isTTY === true && process.env.NO_COLOR === undefined,
  green(s: string) {
    return this.enabled ? `\x1b[32m${s}\x1b[0m` : s;
  },
  red(s: string) {
    return this.enabled ? `\x1b[31m${s}\x1b[0m` : s;
  },
  yellow(s: string) {
    return this.enabled ? `\x1b[33m${s}\x1b[0m` : s;
  },
  dim(s: string) {
    return this.enabled ? `\x1b[2m${s}\x1b[0m` : s;
  },
  bold(s: string) {
    return this.enabled ? `\x1b[1m${s}\x1b[0m` : s;
  },
};
