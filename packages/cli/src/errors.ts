import { BatonError, ConfigError, messageOf } from "@baton/runtime";

/** Exit codes scripts can rely on. */
export const EXIT = {
  ok: 0,
  failed: 1,
  /** The command could not run: bad usage, bad config, NATS or Redis unreachable. */
  usage: 2,
  rolledBack: 3,
  rejected: 4,
  /** --watch gave up before the release ended. */
  timeout: 5,
} as const;

/** A problem the person at the terminal can act on: printed as one line, no stack trace. */
export class CliError extends Error {
  override name = "CliError";
  constructor(
    message: string,
    readonly exitCode: number = EXIT.usage,
  ) {
    super(message);
  }
}

export function reportAndExit(err: unknown): never {
  const text =
    err instanceof CliError || err instanceof ConfigError || err instanceof BatonError ? err.message : `unexpected error: ${messageOf(err)}`;
  process.stderr.write(`baton: ${text}\n`);
  if (!(err instanceof CliError || err instanceof BatonError) && process.env.BATON_DEBUG) console.error(err);
  process.exit(err instanceof CliError ? err.exitCode : EXIT.usage);
}

/**
 * A command whose reader goes away (`baton list | head -1`) ends quietly with exit 0, as
 * `git log | head` does: the output nobody reads is dropped, no EPIPE stack trace. Node ignores
 * SIGPIPE, so the closed pipe arrives as an EPIPE error on the stream; any other error is reported.
 */
export function endQuietlyWhenReaderGoes(stream: NodeJS.WriteStream = process.stdout): void {
  stream.on("error", (err: NodeJS.ErrnoException) => {
    if (err.code === "EPIPE") process.exit(EXIT.ok);
    reportAndExit(err);
  });
}
