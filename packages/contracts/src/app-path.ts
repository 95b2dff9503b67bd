// Paths of the requests the validator sends to the app under test (validation.tests[].request.path,
// validation.warmup.paths[]). The validator resolves them against the preview Service's URL, so a
// path must be origin-relative: whatever it says, `new URL(path, preview)` must still name the
// preview Service. `//host/…`, `/\host/…`, a tab or newline (the URL parser drops them, leaving
// `//`) or a scheme would name another host and turn the validator into a proxy (issue 22).

/** The rule, as a refusal names it. */
export const APP_PATH_RULE = 'must be a path on the app (start with one "/", no "//", "\\" or scheme)';
export const APP_PATH_DOTS_RULE = 'must not climb above the root with ".." segments';

/**
 * One "/", then anything but "\", spaces and control characters, the second character not "/".
 * No look-ahead and only `\xHH` escapes: the same pattern works in JavaScript and in the Go (RE2)
 * regular expressions a Kubernetes API server checks the Release CRD's `pattern` with.
 */
export const APP_PATH = /^\/(?:[^/\\\x00-\x20\x7f][^\\\x00-\x20\x7f]*)?$/;

const PROBE_ORIGIN = "http://app.invalid";

/** Why a path is not a path on the app, or undefined when it is. */
export function appPathProblem(path: string): string | undefined {
  if (!APP_PATH.test(path)) return APP_PATH_RULE;
  if (climbsAboveRoot(path)) return APP_PATH_DOTS_RULE;
  // The last word is the URL parser's own: the path must leave the origin as it was.
  return new URL(path, PROBE_ORIGIN).origin === PROBE_ORIGIN ? undefined : APP_PATH_RULE;
}

/** Whether the path's ".." segments (also written %2e) go above "/" (URL parsers clamp them; we refuse). */
function climbsAboveRoot(path: string): boolean {
  const pathPart = path.split(/[?#]/, 1)[0] ?? "";
  let depth = 0;
  for (const raw of pathPart.split("/").slice(1)) {
    const segment = raw.replace(/%2e/gi, ".");
    if (segment === "..") {
      if (depth === 0) return true;
      depth--;
    } else if (segment !== ".") depth++;
  }
  return false;
}

/** Whether `url` (resolved from a path) is on the same origin as `base`: the validator's last check before it sends. */
export function sameOrigin(url: URL, base: string | URL): boolean {
  return url.origin === new URL(base).origin;
}
