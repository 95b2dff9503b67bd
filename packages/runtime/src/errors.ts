// Errors: one small class per condition, each with its `name` and the original kept as `cause`.
// Two families decide what the bus does with a message: retryable (timeouts, conflicts, 5xx —
// the message is redelivered with backoff) and terminal (bad input, a broken invariant — the
// message goes to the dead-letter subject at once). Code never matches on message text.

export class BatonError extends Error {
  override name = "BatonError";
  /** True when the same work may succeed if tried again later. */
  readonly retryable: boolean = true;
}

/** Worth trying again: a timeout, a conflict, a 5xx, a connection refused. */
export class RetryableError extends BatonError {
  override name = "RetryableError";
}

/** Never worth trying again: the input or an invariant is wrong. */
export class TerminalError extends BatonError {
  override name = "TerminalError";
  override readonly retryable = false;
}

/** The environment does not describe a usable configuration; lists every problem at once. */
export class ConfigError extends TerminalError {
  override name = "ConfigError";
  constructor(readonly problems: readonly string[]) {
    super(`invalid configuration:\n  ${problems.join("\n  ")}`);
  }
}

/** A compare-and-set lost to a concurrent writer too many times in a row. */
export class ConflictError extends RetryableError {
  override name = "ConflictError";
}

/** A dependency (NATS, Redis, Kubernetes, a database) could not be reached. */
export class UnavailableError extends RetryableError {
  override name = "UnavailableError";
}

/**
 * An event was published (JetStream acknowledged it) but the state write after the publish failed.
 * The event is durable and the stage consuming it records it, so it happened: retrying the work
 * re-publishes the same id (dropped) and records it again.
 */
export class UnrecordedError extends RetryableError {
  override name = "UnrecordedError";
}

/** Wraps an error with the step that failed and the release it failed for; keeps its family. */
export class StepError extends BatonError {
  override name = "StepError";
  override readonly retryable: boolean;
  constructor(
    readonly step: string,
    readonly releaseId: string,
    cause: unknown,
  ) {
    super(`${step} failed for release ${releaseId}: ${messageOf(cause)}`, { cause });
    this.retryable = isRetryable(cause);
  }
}

/** Whether an error is worth retrying: Baton errors say so; anything unknown is assumed transient. */
export function isRetryable(err: unknown): boolean {
  return err instanceof BatonError ? err.retryable : true;
}

export function messageOf(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}

/** Runs a step, wrapping any error with the step name and release id. */
export async function step<T>(name: string, releaseId: string, fn: () => Promise<T>): Promise<T> {
  try {
    return await fn();
  } catch (err) {
    throw err instanceof StepError ? err : new StepError(name, releaseId, err);
  }
}
