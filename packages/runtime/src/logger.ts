import { pino, type Logger, type LoggerOptions, type DestinationStream } from "pino";

// pino only: a root logger with { service, version }, a child per message with
// { releaseId, eventId, stage, attempt }. Credentials are redacted three ways:
// - fields by name at any depth (password, token, secret, authorization, connection strings,
//   cookies, API keys) — the well-known top-level paths by pino's fast redaction, the rest by a
//   walk of the log object (plain objects and arrays, a few levels deep);
// - inside any string that reaches a line (message, field value, error message and stack):
//   the password of a URL (postgres://u:***@h), `password=…` of a key/value connection string,
//   and the credentials after `Bearer` / `Basic`;
// - child-logger bindings get the same treatment.

export type { Logger } from "pino";

export const VERSION = "0.1.0";

const REDACT_PATHS = [
  "password",
  "*.password",
  "token",
  "*.token",
  "authorization",
  "*.authorization",
  "*.headers.authorization",
  "*.headers.Authorization",
  "connectionString",
  "*.connectionString",
  "secret",
  "*.secret",
];

const URL_CREDENTIALS = /([a-z][a-z0-9+.-]*:\/\/)([^\s:@/]*):([^\s@/]+)@/gi;
const KV_PASSWORD = /\b(password|passwd|pwd)(\s*[=:]\s*)("[^"]*"|'[^']*'|[^\s;,&"']+)/gi;
const AUTH_SCHEME = /\b(Bearer|Basic)\s+[A-Za-z0-9._~+/=-]{4,}/g;
const SECRET_KEY = /(password|passwd|pwd|token|secret|authorization|cookie|api[_-]?key|connection[_-]?string|dsn|private[_-]?key|credentials?)$/i;
/** A cheap first look: text without any of these holds nothing the redaction would change. */
const MAYBE_SECRET = /:\/\/|bearer|basic|pass|pwd|token|secret|auth|cookie|key|dsn|credential/i;
const CENSOR = "***";
const MAX_DEPTH = 6;

/**
 * Redacts credentials inside a text: the password of every URL (postgres://u:p@h → postgres://u:***@h),
 * `password=…` in a key/value connection string, and what follows `Bearer` or `Basic`.
 */
export function redactCredentials(text: string): string {
  return text.replace(URL_CREDENTIALS, "$1$2:***@").replace(KV_PASSWORD, "$1$2***").replace(AUTH_SCHEME, "$1 ***");
}

function isPlain(value: object): boolean {
  const proto = Object.getPrototypeOf(value) as unknown;
  return proto === Object.prototype || proto === null;
}

/** A copy of a log object with secret-named fields censored and credentials cut out of strings (the same object when clean). */
export function redactObject<T>(value: T, depth = 0): T {
  if (typeof value === "string") return redactCredentials(value) as T;
  if (value === null || typeof value !== "object" || depth > MAX_DEPTH) return value;
  if (Array.isArray(value)) {
    const out = value.map((v: unknown) => redactObject(v, depth + 1));
    return (out.some((v, i) => v !== value[i]) ? out : value) as T;
  }
  if (!isPlain(value)) return value; // errors go through the err serializer; class instances are left alone
  let out: Record<string, unknown> | undefined;
  for (const [k, v] of Object.entries(value)) {
    const next = SECRET_KEY.test(k) && v !== null && v !== undefined && typeof v !== "object" ? CENSOR : redactObject(v, depth + 1);
    if (next !== v) (out ??= { ...(value as Record<string, unknown>) })[k] = next;
  }
  return (out ?? value) as T;
}

/** pino's error serializer (message, stack, causes, own fields), then the same redaction as a log object. */
function errSerializer(err: unknown): unknown {
  const out = pino.stdSerializers.err(err as Error) as unknown; // a non-error (a string) comes back as it is
  return redactObject(out !== null && typeof out === "object" ? { ...out } : out);
}

/**
 * pino does not pass a child's bindings through the bindings formatter: it keeps them as a JSON
 * fragment (`,"k":v,…`). Redact that fragment once, when the child is made.
 */
function redactChildBindings(child: Logger): void {
  const holder = child as unknown as Record<symbol, unknown>;
  const fragment = holder[pino.symbols.chindingsSym];
  if (typeof fragment !== "string" || fragment.length < 2 || !MAYBE_SECRET.test(fragment)) return;
  const parsed = JSON.parse(`{${fragment.slice(1)}}`) as Record<string, unknown>;
  const clean = redactObject(parsed);
  if (clean !== parsed) holder[pino.symbols.chindingsSym] = `,${JSON.stringify(clean).slice(1, -1)}`;
}

export interface LoggerSettings {
  readonly service: string;
  readonly level?: string;
  readonly pretty?: boolean;
  readonly destination?: DestinationStream;
}

export function createLogger(settings: LoggerSettings): Logger {
  const options: LoggerOptions = {
    level: settings.level ?? "info",
    base: { service: settings.service, version: VERSION },
    redact: { paths: REDACT_PATHS, censor: "***" },
    serializers: { err: errSerializer },
    formatters: {
      bindings: (bindings) => redactObject(bindings),
      log: (object) => redactObject(object),
    },
    onChild: redactChildBindings,
    hooks: {
      logMethod(args, method) {
        const redacted = args.map((a) => (typeof a === "string" ? redactCredentials(a) : a)) as typeof args;
        method.apply(this, redacted);
      },
    },
    timestamp: pino.stdTimeFunctions.isoTime,
  };
  if (settings.destination) return pino(options, settings.destination);
  if (settings.pretty) return pino({ ...options, transport: { target: "pino-pretty", options: { colorize: process.stdout.isTTY === true } } });
  return pino(options);
}
