import { createLogger, loadConfig, openRuntime, type Config, type OpenRuntime } from "@baton/runtime";

/** Opens NATS and Redis for a command; unreachable servers give one actionable line (exit 2). */
export async function openCli(config: Config = loadConfig()): Promise<OpenRuntime> {
  const log = createLogger({ service: "cli", level: process.env.BATON_CLI_LOG_LEVEL ?? "silent" });
  return openRuntime(config, { name: "cli", log });
}

/** Runs a command with a runtime and closes it after. */
export async function withRuntime<T>(fn: (rt: OpenRuntime) => Promise<T>): Promise<T> {
  const rt = await openCli();
  try {
    return await fn(rt);
  } finally {
    await rt.close();
  }
}
