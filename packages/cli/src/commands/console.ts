import { loadConfig, runMain, startServices, type Config, type Logger, type ServiceHandle } from "@baton/runtime";
import { CliError } from "../errors.js";

// `baton console`: the console on this machine (127.0.0.1:<port>), and the console beside the
// stages in `baton dev` and the demo. Sign-in comes from BATON_CONSOLE_AUTH_FILE (OIDC or static
// tokens); without it the console starts only when told --insecure-no-auth (local development).

export interface ConsoleFlags {
  readonly port?: string;
  readonly host?: string;
  readonly insecureNoAuth?: boolean;
  readonly authFile?: string;
}

/** The console's settings from the environment and the flags: loopback unless told otherwise. */
export function consoleEnv(f: ConsoleFlags, env: NodeJS.ProcessEnv = process.env): Record<string, string | undefined> {
  return {
    ...env,
    BATON_CONSOLE_HOST: f.host ?? "127.0.0.1",
    BATON_CONSOLE_PORT: f.port ?? env.BATON_CONSOLE_PORT ?? "8081",
    ...(f.insecureNoAuth ? { BATON_CONSOLE_INSECURE_NO_AUTH: "true" } : {}),
    ...(f.authFile ? { BATON_CONSOLE_AUTH_FILE: f.authFile } : {}),
  };
}

/** Whether the console can start: a sign-in is configured, or the person said --insecure-no-auth. */
export function consoleConfigured(env: Record<string, string | undefined>): boolean {
  return (env.BATON_CONSOLE_AUTH_FILE ?? "") !== "" || env.BATON_CONSOLE_INSECURE_NO_AUTH === "true";
}

export async function consoleCommand(f: ConsoleFlags): Promise<void> {
  const { consoleService } = await import("@baton/console");
  const env = consoleEnv(f);
  const config = loadConfig({ BATON_HTTP_HOST: "127.0.0.1", BATON_HTTP_PORT: "0", ...process.env });
  await runMain([consoleService({ env, onStart: (s) => announce(s.url, env) })], config, { timerPump: false });
}

/** Starts the console beside other services of this process (dev, demo); its own runtime, no timer pump. */
export async function startConsoleBeside(config: Config, f: ConsoleFlags, log: Logger): Promise<{ handle: ServiceHandle; url: string }> {
  const { consoleService } = await import("@baton/console");
  let url = "";
  const handle = await startServices(config, [consoleService({ env: consoleEnv(f), onStart: (s) => (url = s.url) })], { name: "console", timerPump: false, http: false, log });
  if (url === "") throw new CliError("the console did not start");
  return { handle, url };
}

function announce(url: string, env: Record<string, string | undefined>): void {
  const insecure = env.BATON_CONSOLE_INSECURE_NO_AUTH === "true" && !env.BATON_CONSOLE_AUTH_FILE;
  process.stdout.write(`baton console: ${url}${insecure ? "  (no sign-in: --insecure-no-auth, for local development only)" : ""}\n`);
}
