import type { Value } from "@baton/contracts";

// The JSON path of a web metric: a small subset ($, $.a.b, $.items[0].rate), enough to pick a value
// out of any JSON answer. The spec's pattern admits only these forms.

const STEP = /\.([A-Za-z_][A-Za-z0-9_-]*)|\[(\d+)\]/y;

/** The value at `path` in `doc`, or undefined when nothing is there. */
export function atJsonPath(doc: unknown, path: string): Value | undefined {
  let at: unknown = doc;
  STEP.lastIndex = 1; // after "$"
  while (STEP.lastIndex < path.length) {
    const m = STEP.exec(path);
    if (m === null) return undefined;
    if (m[1] !== undefined) {
      if (at === null || typeof at !== "object" || Array.isArray(at) || !Object.hasOwn(at, m[1])) return undefined;
      at = (at as Record<string, unknown>)[m[1]];
    } else {
      const i = Number(m[2]);
      if (!Array.isArray(at) || i >= at.length) return undefined;
      at = at[i];
    }
  }
  return at as Value;
}
