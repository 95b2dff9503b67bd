import { redactCredentials } from "@baton/runtime";

// What a post-release activity throws when it fails: a message safe to log and to put in an event
// (every secret value scrubbed) and whether trying again may help. The original error is NOT kept
// as `cause`: pg errors and fetch errors can carry the connection string or the token, and a
// logger would print the cause chain.

export class ActivityFailure extends Error {
  override name = "ActivityFailure";
  constructor(
    message: string,
    /** A timeout, a refused connection, a 5xx, a serialization failure: may succeed later. */
    readonly retryable: boolean,
  ) {
    super(message);
  }
}

/** Replaces each secret value, and user:password in any URL, with ***. */
export type Scrub = (text: string) => string;

export function scrubber(secrets: readonly string[]): Scrub {
  const values = [...new Set(secrets.filter((s) => s.length > 0))].sort((a, b) => b.length - a.length);
  return (text) => redactCredentials(values.reduce((out, v) => out.split(v).join("***"), text));
}

/** The secret parts of a database connection string: the whole string and its password. */
export function connectionSecrets(connectionString: string): string[] {
  const out = [connectionString];
  try {
    const url = new URL(connectionString);
    if (url.password !== "") out.push(url.password, decodeURIComponent(url.password));
    const query = url.searchParams.get("password");
    if (query !== null) out.push(query);
  } catch {
    // a key=value connection string: password=... (quoted or not)
    const m = /password\s*=\s*(?:'((?:[^'\\]|\\.)*)'|(\S+))/i.exec(connectionString);
    if (m?.[1] !== undefined) out.push(m[1], m[1].replace(/\\(.)/g, "$1"));
    if (m?.[2] !== undefined) out.push(m[2]);
  }
  return out;
}

export function messageOfUnknown(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}
