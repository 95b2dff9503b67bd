/**
 * A container's output, as a container runtime keeps it for `kubectl logs`: timestamped lines,
 * bounded in memory (the oldest lines go first once MAX_LINES or MAX_BYTES is passed, as a
 * runtime rotates its log file), readable by tail and age, and followed until the container ends.
 */

/** Lines kept per container, at most. */
export const MAX_LINES = 5000;
/** Bytes kept per container, at most (a kubelet's default containerLogMaxSize is 10 MiB; kube-sim runs many pods in one process). */
export const MAX_BYTES = 1024 * 1024;

export interface LogLine {
  /** Milliseconds since the epoch. */
  readonly at: number;
  readonly text: string;
}

export interface LogSelection {
  /** Only the last N lines. */
  readonly tailLines?: number;
  /** Only lines written at or after this time (ms since the epoch). */
  readonly sinceMs?: number;
}

type Follower = { line: (line: LogLine) => void; end: () => void };

/** RFC 3339 with the fraction Go's RFC3339Nano prints (trailing zeros dropped), as the kubelet prefixes lines. */
export function logTimestamp(ms: number): string {
  const iso = new Date(ms).toISOString();
  return iso.replace(/\.(\d{3})Z$/, (_, frac: string) => {
    const trimmed = frac.replace(/0+$/, "");
    return trimmed ? `.${trimmed}Z` : "Z";
  });
}

export class ContainerLog {
  readonly #lines: LogLine[] = [];
  #bytes = 0;
  #ended = false;
  readonly #followers = new Set<Follower>();

  constructor(private readonly now: () => number = Date.now) {}

  get ended(): boolean {
    return this.#ended;
  }

  /** Appends one line per line of `text` (a line written after the container ended is dropped). */
  write(text: string): void {
    if (this.#ended) return;
    const at = this.now();
    for (const part of text.replace(/\n$/, "").split("\n")) {
      const line = { at, text: part };
      this.#lines.push(line);
      this.#bytes += Buffer.byteLength(part) + 1;
      for (const f of this.#followers) f.line(line);
    }
    while (this.#lines.length > MAX_LINES || (this.#bytes > MAX_BYTES && this.#lines.length > 1)) {
      const dropped = this.#lines.shift();
      if (dropped) this.#bytes -= Buffer.byteLength(dropped.text) + 1;
    }
  }

  /** The container has stopped: nothing more is written, followers are told. Safe to repeat. */
  end(): void {
    if (this.#ended) return;
    this.#ended = true;
    for (const f of [...this.#followers]) f.end();
    this.#followers.clear();
  }

  /** The kept lines the selection asks for, oldest first. */
  read(sel: LogSelection = {}): LogLine[] {
    const since = sel.sinceMs;
    let lines = since === undefined ? this.#lines : this.#lines.filter((l) => l.at >= since);
    if (sel.tailLines !== undefined) lines = sel.tailLines === 0 ? [] : lines.slice(-sel.tailLines);
    return [...lines];
  }

  /** Calls `line` for each new line and `end` once the container ends (at once if it has). Returns the unsubscribe. */
  follow(line: (line: LogLine) => void, end: () => void): () => void {
    if (this.#ended) {
      end();
      return () => undefined;
    }
    const f: Follower = { line, end };
    this.#followers.add(f);
    return () => this.#followers.delete(f);
  }
}
