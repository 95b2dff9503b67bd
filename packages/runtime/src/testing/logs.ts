import { Writable } from "node:stream";
import { createLogger, type Logger } from "../logger.js";

export interface CapturedLogs {
  readonly logger: Logger;
  readonly lines: string[];
  text(): string;
}

/** A logger whose JSON lines are kept in memory (to assert on them, e.g. that a secret never appears). */
export function captureLogs(service = "test", level = "debug"): CapturedLogs {
  const lines: string[] = [];
  const destination = new Writable({
    write(chunk: Buffer, _enc, cb) {
      lines.push(...chunk.toString("utf8").split("\n").filter(Boolean));
      cb();
    },
  });
  const logger = createLogger({ service, level, destination });
  return { logger, lines, text: () => lines.join("\n") };
}
