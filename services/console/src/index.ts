// @baton/console: the Baton console's server — a live web view of every release, with sign-in
// (OIDC or static tokens), roles per namespace, and the operator's actions. A service like the
// stages: it reads state from Redis and events from JetStream, and is stateless (scale it out).
import { type Component, type Config, type ServiceModule } from "@baton/runtime";
import { loadConsoleConfig, type ConsoleConfig } from "./config.js";
import { startConsole, type ConsoleServer } from "./server.js";

export interface ConsoleServiceOptions {
  /** Where the console's own settings are read from (default: the process environment). */
  readonly env?: Record<string, string | undefined>;
  /** Settings that win over the environment (the CLI's flags, tests). */
  readonly overrides?: Partial<ConsoleConfig>;
  /** Called once the console serves (the CLI prints its URL). */
  readonly onStart?: (server: ConsoleServer) => void;
}

/** The console as a service module: `baton serve console`, `baton console`, `baton dev`, the demo. */
export function consoleService(opts: ConsoleServiceOptions = {}): ServiceModule {
  return {
    name: "console",
    async create(_config: Config) {
      // Read (and refused) before any connection is opened: no sign-in configured is a start-up error.
      const cfg = loadConsoleConfig(opts.env ?? process.env, opts.overrides);
      return {
        stages: [],
        extra: async (rt): Promise<Component[]> => {
          const server = await startConsole(rt, cfg, rt.log.child({ component: "console" }));
          opts.onStart?.(server);
          return [{ name: "console", stop: () => server.stop() }];
        },
      };
    },
  };
}

export { loadConsoleConfig, checkAuth, AccessFile } from "./config.js";
export type { ConsoleConfig, RoleRule, StaticToken } from "./config.js";
export { startConsole } from "./server.js";
export type { ConsoleServer } from "./server.js";
export { ACTIONS } from "./api/actions.js";
export type { ActionDefinition } from "./api/actions.js";
export { NEEDS_ATTENTION } from "./api/attention.js";
export type { AttentionRule } from "./api/attention.js";
export { tokenHash } from "./auth/session.js";

