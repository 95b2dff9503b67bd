/**
 * A work queue of keys, deduplicated, processed on the next turn of the event loop (so a write's
 * HTTP answer is never delayed by the reconciles it triggers). A key is never processed twice at
 * once: a key added while it is being processed runs again right after. A failing key is retried
 * with backoff.
 */
export type Process = (key: string) => void | Promise<void>;

export class WorkQueue {
  readonly #pending = new Set<string>();
  readonly #active = new Set<string>();
  readonly #dirty = new Set<string>();
  readonly #retries = new Map<string, number>();
  readonly #timers = new Set<NodeJS.Timeout>();
  #scheduled: NodeJS.Immediate | undefined;
  #stopped = false;

  constructor(
    readonly name: string,
    private readonly process: Process,
    private readonly log: (line: string) => void,
  ) {}

  add(key: string): void {
    if (this.#stopped) return;
    if (this.#active.has(key)) {
      this.#dirty.add(key);
      return;
    }
    this.#pending.add(key);
    this.#scheduled ??= setImmediate(() => this.#drain());
  }

  /** Adds the key after `ms` (deadlines such as a Deployment's progress deadline). */
  addAfter(key: string, ms: number): void {
    if (this.#stopped) return;
    const timer = setTimeout(() => {
      this.#timers.delete(timer);
      this.add(key);
    }, ms);
    timer.unref();
    this.#timers.add(timer);
  }

  #drain(): void {
    this.#scheduled = undefined;
    const keys = [...this.#pending];
    this.#pending.clear();
    for (const key of keys) {
      if (this.#stopped) return;
      this.#run(key);
    }
  }

  #run(key: string): void {
    this.#active.add(key);
    let result: void | Promise<void>;
    try {
      result = this.process(key);
    } catch (err) {
      this.#done(key, err);
      return;
    }
    if (result instanceof Promise) result.then(() => this.#done(key, undefined), (err: unknown) => this.#done(key, err ?? new Error("failed")));
    else this.#done(key, undefined);
  }

  #done(key: string, err: unknown): void {
    this.#active.delete(key);
    if (err === undefined) this.#retries.delete(key);
    else {
      const n = (this.#retries.get(key) ?? 0) + 1;
      this.#retries.set(key, n);
      if (!this.#stopped) this.log(`${this.name}: ${key}: ${(err as Error).message ?? String(err)} (retry ${n})`);
      this.addAfter(key, Math.min(1000, 10 * 2 ** n));
    }
    if (this.#dirty.delete(key)) this.add(key);
  }

  stop(): void {
    this.#stopped = true;
    if (this.#scheduled) clearImmediate(this.#scheduled);
    for (const t of this.#timers) clearTimeout(t);
    this.#timers.clear();
  }
}
