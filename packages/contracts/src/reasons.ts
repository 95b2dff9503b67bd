import type { z } from "zod";

/** One reason a request was refused: the field path, the rule broken, and a sentence for people. */
export interface Reason {
  readonly path: string;
  readonly rule: string;
  readonly message: string;
}

/** "validation.tests[0].request.path" from zod's path array. */
export function formatPath(path: ReadonlyArray<PropertyKey>): string {
  let out = "";
  for (const part of path) {
    if (typeof part === "number") out += `[${part}]`;
    else out += out === "" ? String(part) : `.${String(part)}`;
  }
  return out === "" ? "(body)" : out;
}

/**
 * Every issue of a zod error as a Reason: "liveThreshold: must be <= replicas (2)". Pass the
 * input that was parsed, so a missing field reads "is required" rather than "must be a string".
 */
export function reasonsFromZod(error: z.ZodError, input?: unknown): Reason[] {
  return error.issues.flatMap((issue) => {
    // An unknown field is named by its own path: "validation.colour: is not a field of the spec".
    if (issue.code === "unrecognized_keys") {
      return issue.keys.map((key) => {
        const path = formatPath([...issue.path, key]);
        return { path, rule: "unknown field", message: `${path}: unknown field (not part of the release spec)` };
      });
    }
    const path = formatPath(issue.path);
    const rule = ruleOf(issue, valueAt(input, issue.path));
    return { path, rule, message: `${path}: ${rule}` };
  });
}

function valueAt(input: unknown, path: ReadonlyArray<PropertyKey>): unknown {
  let v: unknown = input;
  for (const key of path) {
    if (typeof v !== "object" || v === null) return undefined;
    v = (v as Record<PropertyKey, unknown>)[key];
  }
  return v;
}

function ruleOf(issue: z.core.$ZodIssue, value: unknown): string {
  switch (issue.code) {
    case "invalid_type":
      return value === undefined ? `is required (${issue.expected})` : `must be ${article(issue.expected)}`;
    case "invalid_value":
      return `must be one of ${issue.values.map((v) => JSON.stringify(v)).join(", ")}`;
    case "too_small":
      return bound(issue.origin, issue.minimum, issue.inclusive, "at least", "more than");
    case "too_big":
      return bound(issue.origin, issue.maximum, issue.inclusive, "at most", "less than");
    default:
      return issue.message;
  }
}

function article(type: string): string {
  return /^[aeiou]/.test(type) ? `an ${type}` : `a ${type}`;
}

function bound(origin: string, limit: unknown, inclusive: boolean | undefined, incl: string, excl: string): string {
  const n = String(limit);
  const word = inclusive === false ? excl : incl;
  if (origin === "string") return `must be ${word} ${n} characters long`;
  if (origin === "array") return `must have ${word} ${n} item${n === "1" ? "" : "s"}`;
  return `must be ${word} ${n}`;
}
