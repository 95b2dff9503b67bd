import { readFileSync } from "node:fs";
import { parse as parseYaml } from "yaml";
import { z } from "zod";
import { ConfigError } from "@baton/runtime";

// The console's own configuration, read once: environment variables (ports, the public URL, the
// session and OIDC client secrets) and one access file (BATON_CONSOLE_AUTH_FILE: the OIDC provider,
// static tokens as SHA-256 hashes, and the role of each group per namespace). Secrets come only
// from the environment (a Kubernetes Secret), so the access file can live in a ConfigMap.
// Every problem is reported at once; with no way to sign in the console refuses to start unless
// it is told `--insecure-no-auth` (BATON_CONSOLE_INSECURE_NO_AUTH=true).

const ROLE = z.enum(["viewer", "operator", "admin"]);
const NAMESPACE = z.string().regex(/^(\*|[a-z0-9]([-a-z0-9]*[a-z0-9])?)$/, "must be a namespace name or *");

const RoleRule = z.strictObject({
  /** Groups (from the token's groups claim, or a static token's groups) this rule applies to. */
  groups: z.array(z.string().min(1)).default([]),
  /** Users (the user claim, or a static token's name) this rule applies to. */
  users: z.array(z.string().min(1)).default([]),
  namespaces: z.array(NAMESPACE).min(1),
  role: ROLE,
});
export type RoleRule = z.infer<typeof RoleRule>;

const Oidc = z.strictObject({
  issuer: z.url(),
  clientId: z.string().min(1),
  /** What the sign-in button says. */
  name: z.string().min(1).default("single sign-on"),
  scopes: z.array(z.string().min(1)).default(["openid", "profile", "email", "groups"]),
  /** The claim holding the user's groups (ID token, else the userinfo endpoint). */
  groupsClaim: z.string().min(1).default("groups"),
  /** The claim naming the user in events ("who promoted"); falls back to sub. */
  userClaim: z.string().min(1).default("email"),
  /** How the console authenticates at the token endpoint: a secret (BATON_CONSOLE_OIDC_CLIENT_SECRET) or none (a public client: PKCE alone). */
  tokenEndpointAuth: z.enum(["client_secret_basic", "client_secret_post", "none"]).optional(),
});

const StaticToken = z.strictObject({
  /** Who the token is: recorded as `by` in the events its holder sends. */
  name: z.string().min(1).max(128),
  /** SHA-256 of the token, hex (`printf %s "$TOKEN" | sha256sum`): the file never holds a token. */
  sha256: z.string().regex(/^[0-9a-f]{64}$/, "must be the SHA-256 of the token, 64 lowercase hex digits"),
  groups: z.array(z.string().min(1)).default([]),
});
export type StaticToken = z.infer<typeof StaticToken>;

export const AccessFile = z.strictObject({
  oidc: Oidc.optional(),
  tokens: z.array(StaticToken).default([]),
  roles: z.array(RoleRule).default([]),
});
export type AccessFile = z.infer<typeof AccessFile>;

const bool = z.stringbool().default(false);

const Env = z.object({
  BATON_CONSOLE_PORT: z.coerce.number().int().min(0).max(65_535).default(8081),
  BATON_CONSOLE_HOST: z.string().default("0.0.0.0"),
  /** The console's public URL (https://baton.example.com): the OIDC redirect, notification links, Secure cookies. */
  BATON_CONSOLE_URL: z.url().optional(),
  BATON_CONSOLE_AUTH_FILE: z.string().optional(),
  /** Signs session cookies and CSRF tokens; shared by every replica. */
  BATON_CONSOLE_SESSION_SECRET: z.string().min(32, "must be at least 32 characters").optional(),
  BATON_CONSOLE_SESSION_HOURS: z.coerce.number().min(0.01).max(168).default(8),
  BATON_CONSOLE_OIDC_CLIENT_SECRET: z.string().min(1).optional(),
  BATON_CONSOLE_INSECURE_NO_AUTH: bool,
  /** Where the built front end is (default: @baton/console-web's dist/). */
  BATON_CONSOLE_STATIC_DIR: z.string().optional(),
  /** Show v1 and v2 pods from a watch of the cluster (needs pods list/watch in the target namespaces). */
  BATON_CONSOLE_WATCH_PODS: z.stringbool().default(true),
  /** How many of the most recent releases the list looks through. */
  BATON_CONSOLE_LIST_WINDOW: z.coerce.number().int().min(10).max(10_000).default(500),
});

export interface ConsoleConfig {
  readonly port: number;
  readonly host: string;
  readonly publicUrl: URL | null;
  readonly sessionSecret: string | null;
  readonly sessionTtlMs: number;
  readonly oidc: (z.infer<typeof Oidc> & { readonly clientSecret: string | null }) | null;
  readonly tokens: readonly StaticToken[];
  readonly roles: readonly RoleRule[];
  readonly insecureNoAuth: boolean;
  readonly staticDir: string | null;
  readonly watchPods: boolean;
  readonly listWindow: number;
}

/** Reads the console's configuration; throws a ConfigError naming every problem. */
export function loadConsoleConfig(env: Record<string, string | undefined> = process.env, overrides: Partial<ConsoleConfig> = {}): ConsoleConfig {
  const problems: string[] = [];
  const e = Env.safeParse(env);
  if (!e.success) {
    for (const i of e.error.issues) problems.push(`${String(i.path[0])}: ${i.message}${/SECRET/.test(String(i.path[0])) ? "" : ` (got ${JSON.stringify(env[String(i.path[0])])})`}`);
  }
  const access = readAccessFile(env.BATON_CONSOLE_AUTH_FILE, problems);
  if (!e.success) throw new ConfigError(problems);
  const config: ConsoleConfig = {
    port: e.data.BATON_CONSOLE_PORT,
    host: e.data.BATON_CONSOLE_HOST,
    publicUrl: e.data.BATON_CONSOLE_URL === undefined ? null : new URL(e.data.BATON_CONSOLE_URL),
    sessionSecret: e.data.BATON_CONSOLE_SESSION_SECRET ?? null,
    sessionTtlMs: e.data.BATON_CONSOLE_SESSION_HOURS * 3_600_000,
    oidc: access.oidc === undefined ? null : { ...access.oidc, clientSecret: e.data.BATON_CONSOLE_OIDC_CLIENT_SECRET ?? null },
    tokens: access.tokens,
    roles: access.roles,
    insecureNoAuth: e.data.BATON_CONSOLE_INSECURE_NO_AUTH,
    staticDir: e.data.BATON_CONSOLE_STATIC_DIR ?? null,
    watchPods: e.data.BATON_CONSOLE_WATCH_PODS,
    listWindow: e.data.BATON_CONSOLE_LIST_WINDOW,
    ...overrides,
  };
  problems.push(...checkAuth(config));
  if (problems.length > 0) throw new ConfigError(problems);
  return Object.freeze(config);
}

function readAccessFile(path: string | undefined, problems: string[]): AccessFile {
  if (path === undefined) return AccessFile.parse({});
  let raw: unknown;
  try {
    raw = parseYaml(readFileSync(path, "utf8"));
  } catch (err) {
    problems.push(`BATON_CONSOLE_AUTH_FILE: cannot read ${path}: ${(err as Error).message}`);
    return AccessFile.parse({});
  }
  const r = AccessFile.safeParse(raw ?? {});
  if (r.success) return r.data;
  for (const i of r.error.issues) problems.push(`BATON_CONSOLE_AUTH_FILE (${path}) ${i.path.join(".") || "(file)"}: ${i.message}`);
  return AccessFile.parse({});
}

/** Whether anyone can sign in, and whether what sign-in needs is there. */
export function checkAuth(c: ConsoleConfig): string[] {
  const problems: string[] = [];
  const any = c.oidc !== null || c.tokens.length > 0;
  if (!any && !c.insecureNoAuth) {
    problems.push(
      "no sign-in configured: set BATON_CONSOLE_AUTH_FILE with an `oidc` provider or static `tokens` " +
        "(see services/console/README.md), or start with --insecure-no-auth (BATON_CONSOLE_INSECURE_NO_AUTH=true) for local development only",
    );
  }
  if (any && c.sessionSecret === null) problems.push("BATON_CONSOLE_SESSION_SECRET: required when sign-in is on (at least 32 random characters, the same on every replica)");
  if (c.oidc !== null && c.publicUrl === null) problems.push("BATON_CONSOLE_URL: required with OIDC (the redirect URI is <BATON_CONSOLE_URL>/auth/callback)");
  if (any && c.roles.length === 0) problems.push("BATON_CONSOLE_AUTH_FILE roles: empty: nobody who signs in could see anything");
  return problems;
}
