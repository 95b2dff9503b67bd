import { pino, type Logger, type LoggerOptions, type DestinationStream } from "pino";

// pino only: a root logger with { service, version }, a child per message with
// { releaseId, eventId, stage, attempt }. Credentials are redacted: known fields by path, and
// user:password in any URL that reaches a message or an error.

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

const URL_CREDENTIALS = /([a-z][a-z0-9+.-]*:\/\/)([^\s:@/]+):([^\s@/]+)@/gi;

/** Replaces the password of every URL in a text: postgres://u:p@h → postgres://u:***@h. */
export function redactCredentials(text: string): string {
  return text.replace(URL_CREDENTIALS, "$1$2:***@");
}

function errSerializer(err: unknown): unknown {
  const out = pino.stdSerializers.err(err as Error) as unknown as Record<string, unknown>;
  if (typeof out.message === "string") out.message = redactCredentials(out.message);
  if (typeof out.stack === "string") out.stack = redactCredentials(out.stack);
  return out;
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
    hooks: {
      logMethod(args, method) {
        const redacted = args.map((a) => (typeof a === "string" ? redactCredentials(a) : a)) as typeof args;
        method.apply(this, redacted);
      },
    },
    timestamp: pino.stdTimeFunctions.isoTime,
  };
  if (settings.destination) return pino(options, settings.destination);
  if (settings.pretty) return pino({ ...options, transport: { target: "pino-pretty", options: { colorize: true } } });
  return pino(options);
}
