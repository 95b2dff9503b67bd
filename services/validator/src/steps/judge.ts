import type { CheckResult, ReleaseState } from "@baton/contracts";
import { isAnswer, type HttpResult } from "./http-request.js";

// Judging a test request, in words a person reads: what was expected, what came back.

type Spec = NonNullable<ReleaseState["spec"]>;
export type TestCheck = Spec["validation"]["tests"][number];

const BODY_SHOWN = 200;

/** e.g. `status 200, body contains "2.0.0", within 200 ms`. */
export function expectedText(check: TestCheck): string {
  const e = check.expect;
  const parts = [`status ${e.status}`];
  if (e.bodyContains !== undefined) parts.push(`body contains ${JSON.stringify(e.bodyContains)}`);
  if (e.maxLatencyMs !== undefined) parts.push(`within ${e.maxLatencyMs} ms`);
  return parts.join(", ");
}

/** e.g. `status 200, body "1.0.0" (312 ms)` or `ECONNREFUSED connect … (3 ms)`. */
export function gotText(r: HttpResult): string {
  if (!isAnswer(r)) return `${r.error} (${Math.round(r.latencyMs)} ms)`;
  return `status ${r.status}, body ${shown(r.body)} (${Math.round(r.latencyMs)} ms)`;
}

function shown(body: string): string {
  const text = body.length > BODY_SHOWN ? `${body.slice(0, BODY_SHOWN)}…` : body;
  return JSON.stringify(text);
}

export function judge(check: TestCheck, r: HttpResult): CheckResult {
  const e = check.expect;
  const passed =
    isAnswer(r) &&
    r.status === e.status &&
    (e.bodyContains === undefined || r.body.includes(e.bodyContains)) &&
    (e.maxLatencyMs === undefined || r.latencyMs <= e.maxLatencyMs);
  return { name: check.name, passed, expected: expectedText(check), got: gotText(r), latencyMs: r.latencyMs };
}
