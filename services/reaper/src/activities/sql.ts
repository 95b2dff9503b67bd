import pg from "pg";
import { ActivityFailure, messageOfUnknown, type Scrub } from "./failure.js";

// A SQL post-release activity: the statements run in ONE transaction together with an insert into
// a journal table, so they run exactly once per (release, activity) even when the reaper crashes
// and the event is delivered again: the journal row commits with the statements or not at all,
// and a second run that finds it skips. Two concurrent runs serialise on the journal's primary key.

export const JOURNAL_TABLE = "baton_post_release_journal";

const CREATE_JOURNAL = `CREATE TABLE IF NOT EXISTS ${JOURNAL_TABLE} (
  release_id text NOT NULL,
  activity text NOT NULL,
  done_at timestamptz NOT NULL,
  PRIMARY KEY (release_id, activity)
)`;

export interface SqlRun {
  readonly connectionString: string;
  readonly releaseId: string;
  readonly activity: string;
  readonly statements: readonly string[];
  readonly timeoutMs: number;
  readonly scrub: Scrub;
}

export interface SqlOutcome {
  readonly skipped: boolean;
  readonly detail: string;
}

/** Runs the statements once; throws an ActivityFailure whose message is safe to show. */
export async function runSqlOnce(run: SqlRun): Promise<SqlOutcome> {
  const client = newClient(run);
  let timedOut = false;
  const timer = setTimeout(() => {
    timedOut = true;
    void client.end().catch(() => undefined);
  }, run.timeoutMs);
  client.on("error", () => undefined); // a dropped connection surfaces through the pending query
  try {
    await connect(client, run);
    await ensureJournal(client, run);
    return await inTransaction(client, run);
  } catch (err) {
    if (timedOut) throw new ActivityFailure(`did not finish within ${run.timeoutMs / 1000}s; the transaction was rolled back`, true);
    throw err;
  } finally {
    clearTimeout(timer);
    await endWithin(client, END_MS);
  }
}

const END_MS = 5_000;

/**
 * Closes the connection, waiting at most `ms` for the server's goodbye: a database that stopped
 * answering (not closed, just silent) must not hold the reaper's handler for ever.
 */
async function endWithin(client: pg.Client, ms: number): Promise<void> {
  let timer: NodeJS.Timeout | undefined;
  const gaveUp = new Promise<void>((resolve) => {
    timer = setTimeout(() => {
      (client as unknown as { connection?: { stream?: { destroy(): void } } }).connection?.stream?.destroy();
      resolve();
    }, ms);
  });
  await Promise.race([client.end().catch(() => undefined), gaveUp]);
  clearTimeout(timer);
}

function newClient(run: SqlRun): pg.Client {
  try {
    return new pg.Client({
      connectionString: run.connectionString,
      connectionTimeoutMillis: run.timeoutMs,
      statement_timeout: run.timeoutMs,
      // the client's own bound on each query: one the server never answers fails too
      query_timeout: run.timeoutMs,
      application_name: "baton-reaper",
    });
  } catch (err) {
    throw new ActivityFailure(`the connection string is not valid: ${run.scrub(messageOfUnknown(err))}`, false);
  }
}

async function connect(client: pg.Client, run: SqlRun): Promise<void> {
  try {
    await client.connect();
  } catch (err) {
    throw new ActivityFailure(`cannot connect to the database: ${describe(err, run.scrub)}`, isRetryable(err));
  }
}

async function ensureJournal(client: pg.Client, run: SqlRun): Promise<void> {
  try {
    await client.query(CREATE_JOURNAL);
  } catch (err) {
    // Two first runs at once can both try to create it: the loser sees 23505/42P07, and the table exists.
    if (sqlState(err) === "23505" || sqlState(err) === "42P07") return;
    throw new ActivityFailure(`cannot create the journal table ${JOURNAL_TABLE}: ${describe(err, run.scrub)}`, isRetryable(err));
  }
}

async function inTransaction(client: pg.Client, run: SqlRun): Promise<SqlOutcome> {
  await query(client, run, "BEGIN", "BEGIN");
  const claimed = await query(
    client,
    run,
    `INSERT INTO ${JOURNAL_TABLE} (release_id, activity, done_at) VALUES ($1, $2, now())
     ON CONFLICT (release_id, activity) DO NOTHING RETURNING done_at`,
    "the journal insert",
    [run.releaseId, run.activity],
  );
  if (claimed.rowCount === 0) {
    await client.query("ROLLBACK").catch(() => undefined);
    const earlier = await query(client, run, `SELECT done_at FROM ${JOURNAL_TABLE} WHERE release_id = $1 AND activity = $2`, "the journal read", [run.releaseId, run.activity]);
    const at = (earlier.rows[0] as { done_at?: Date } | undefined)?.done_at;
    return { skipped: true, detail: `already done${at ? ` at ${at.toISOString()}` : ""} (journal row found): not run again` };
  }
  const n = run.statements.length;
  for (const [i, statement] of run.statements.entries()) {
    await query(client, run, statement, `statement ${i + 1} of ${n}`);
  }
  await query(client, run, "COMMIT", "COMMIT");
  return { skipped: false, detail: `${n} statement${n === 1 ? "" : "s"} committed in one transaction (journal ${JOURNAL_TABLE})` };
}

async function query(client: pg.Client, run: SqlRun, text: string, what: string, values?: unknown[]): Promise<pg.QueryResult> {
  try {
    return await client.query(text, values);
  } catch (err) {
    await client.query("ROLLBACK").catch(() => undefined);
    throw new ActivityFailure(`${what} failed: ${describe(err, run.scrub)}; the transaction was rolled back, nothing was applied`, isRetryable(err));
  }
}

function sqlState(err: unknown): string | undefined {
  const code = (err as { code?: unknown } | null)?.code;
  return typeof code === "string" && /^[0-9A-Z]{5}$/.test(code) ? code : undefined;
}

/** The message with its SQLSTATE, scrubbed of every secret. */
function describe(err: unknown, scrub: Scrub): string {
  const state = sqlState(err);
  return scrub(`${messageOfUnknown(err)}${state ? ` (SQLSTATE ${state})` : ""}`);
}

/**
 * Worth trying again: no SQLSTATE (network, refused, reset), or a class that says "later":
 * 08 connection, 40 serialization/deadlock, 53 resources, 57 operator intervention (incl.
 * statement timeout, admin shutdown), 58 system error, 55P03 lock not available. Anything else
 * (syntax, missing object, permission, bad password, 25001 not allowed in a transaction) will
 * fail the same way again.
 */
function isRetryable(err: unknown): boolean {
  const state = sqlState(err);
  if (state === undefined) return true;
  return ["08", "40", "53", "57", "58"].includes(state.slice(0, 2)) || state === "55P03";
}
