import type { ActivityResult, PostReleaseActivity } from "@baton/contracts";
import { RetryableError, type Logger, type Metrics } from "@baton/runtime";
import type { ReaperDeps } from "../deps.js";
import { ActivityFailure, connectionSecrets, messageOfUnknown, scrubber } from "./failure.js";
import { readSecretValue } from "./secret.js";
import { runSqlOnce } from "./sql.js";
import { callWebhook } from "./webhook.js";

// The post-release activities of a release, in the order the spec lists them.
//
// Failure policy (what a platform engineer expects once production is on v2 and v1 is gone):
// - a retryable failure (timeout, refused connection, 5xx, deadlock) throws, so the event is
//   delivered again with backoff; SQL activities already done are skipped through their journal;
// - a failure for good (a terminal error, or a retryable one on the last delivery) does NOT fail
//   the release: production is fine, the release did happen. It is recorded as ok:false with a
//   safe message in ReleaseCompleted.postRelease and logged at error level, and the activities
//   after it are not run (they may depend on it), recorded as ok:false, skipped:true.

export interface ActivityScope {
  readonly deps: ReaperDeps;
  readonly metrics: Metrics;
  readonly log: Logger;
  readonly release: { readonly releaseId: string; readonly app: string; readonly namespace: string };
  readonly revision: number;
  readonly previousRevision: number | null;
  /** The last delivery of the event: a retryable failure is then final. */
  readonly lastAttempt: boolean;
}

/** Thrown to get the event delivered again; its message is safe to log. */
export class ActivityRetry extends RetryableError {
  override name = "ActivityRetry";
}

export async function runPostRelease(scope: ActivityScope, activities: readonly PostReleaseActivity[]): Promise<ActivityResult[]> {
  const results: ActivityResult[] = [];
  let failed: string | undefined;
  for (const activity of activities) {
    const kind = activity.sql ? "sql" : "webhook";
    if (failed !== undefined) {
      results.push({ name: activity.name, kind, ok: false, skipped: true, detail: `not run: ${failed} failed before it`, durationMs: 0 });
      scope.metrics.postReleaseActivities.inc({ kind, result: "not_run" });
      continue;
    }
    const result = await runOne(scope, activity);
    results.push(result);
    if (!result.ok) failed = activity.name;
  }
  return results;
}

async function runOne(scope: ActivityScope, activity: PostReleaseActivity): Promise<ActivityResult> {
  const kind = activity.sql ? "sql" : "webhook";
  const log = scope.log.child({ activity: activity.name, kind });
  const started = performance.now();
  const took = () => Math.round(performance.now() - started);
  try {
    const out = activity.sql
      ? await sql(scope, activity, activity.sql)
      : { skipped: false, detail: await webhook(scope, activity, activity.webhook) };
    log.info({ skipped: out.skipped, durationMs: took(), detail: out.detail }, `post-release activity ${activity.name}: ${out.skipped ? "skipped" : "done"}`);
    scope.metrics.postReleaseActivities.inc({ kind, result: out.skipped ? "already_done" : "ok" });
    return { name: activity.name, kind, ok: true, ...(out.skipped ? { skipped: true } : {}), detail: out.detail, durationMs: took() };
  } catch (err) {
    const failure = err instanceof ActivityFailure ? err : new ActivityFailure(`unexpected error: ${scrubber([])(messageOfUnknown(err))}`, true);
    if (failure.retryable && !scope.lastAttempt) {
      scope.metrics.postReleaseActivities.inc({ kind, result: "retry" });
      throw new ActivityRetry(`post-release activity ${activity.name} (${kind}): ${failure.message}; will retry`);
    }
    const detail = failure.retryable ? `${failure.message} (gave up: still failing on the last attempt)` : failure.message;
    scope.metrics.postReleaseActivities.inc({ kind, result: "failed" });
    log.error({ detail, durationMs: took() }, `post-release activity ${activity.name} FAILED for good; the release completes (production is on v2), fix this by hand`);
    return { name: activity.name, kind, ok: false, detail, durationMs: took() };
  }
}

type SqlSpec = NonNullable<PostReleaseActivity["sql"]>;
type WebhookSpec = NonNullable<PostReleaseActivity["webhook"]>;

async function sql(scope: ActivityScope, activity: PostReleaseActivity, spec: SqlSpec) {
  const ref = spec.connectionSecretRef;
  const connectionString = await readSecretValue(scope.deps, scope.metrics, scope.release, ref);
  return runSqlOnce({
    connectionString,
    releaseId: scope.release.releaseId,
    activity: activity.name,
    statements: spec.statements,
    timeoutMs: activity.timeoutSeconds * 1000,
    scrub: scrubber(connectionSecrets(connectionString)),
  });
}

async function webhook(scope: ActivityScope, activity: PostReleaseActivity, spec: WebhookSpec | undefined): Promise<string> {
  if (spec === undefined) throw new ActivityFailure("sets neither sql nor webhook", false);
  const { releaseId, app, namespace } = scope.release;
  const token = spec.bearerTokenSecretRef
    ? (await readSecretValue(scope.deps, scope.metrics, scope.release, spec.bearerTokenSecretRef)).trim()
    : undefined;
  return callWebhook({
    url: spec.url,
    method: spec.method,
    headers: spec.headers ?? {},
    bearerToken: token,
    idempotencyKey: `${releaseId}:${activity.name}`,
    body: { releaseId, app, namespace, revision: scope.revision, previousRevision: scope.previousRevision },
    timeoutMs: activity.timeoutSeconds * 1000,
    allowedHosts: scope.deps.webhookHosts,
    scrub: scrubber(token === undefined ? [] : [token]),
    fetch: scope.deps.fetch,
  });
}
