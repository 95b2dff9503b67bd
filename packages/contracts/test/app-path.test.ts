import { describe, expect, test } from "vitest";
import { parseIntake } from "@baton/contracts";
import { specInput } from "@baton/contracts/testing";

// Issue 22, item 1 (SSRF): the validator resolves a test's or warm-up's path against the preview
// Service's URL (`new URL(path, base)`). A path that names another host there — `//host/…`,
// `/\host/…`, a tab or newline the URL parser drops, a scheme — sent the requester's method,
// headers and body to that host, and its answer landed in ValidationFailed. The spec refuses such
// paths at the intake, naming the field and the rule.

const RULE = 'must be a path on the app (start with one "/", no "//", "\\" or scheme)';

function reasonsFor(paths: { tests?: string[]; warmup?: string[] }): string[] {
  const validation = {
    tests: (paths.tests ?? []).map((path, i) => ({ name: `t${i}`, request: { path } })),
    ...(paths.warmup === undefined ? {} : { warmup: { requests: 1, paths: paths.warmup } }),
  };
  const r = parseIntake(JSON.stringify(specInput({ validation } as never)), { allowedNamespaces: "*" });
  return r.ok ? [] : r.refusal.reasons.map((x) => x.message);
}

describe("request paths must stay on the app (origin-relative)", () => {
  test.each([
    ["//127.0.0.1:18555/latest/meta-data", RULE],
    ["/\\127.0.0.1/latest/meta-data", RULE],
    ["/\\\\127.0.0.1/x", RULE],
    ["/\t/127.0.0.1/x", RULE], // the URL parser removes tabs and newlines: this is "//127.0.0.1/x"
    ["/\n/127.0.0.1/x", RULE],
    ["/ /x", RULE],
    ["http://169.254.169.254/latest/meta-data", RULE],
    ["healthz", RULE],
    ["/a\\b", RULE],
    ["/../etc/passwd", 'must not climb above the root with ".." segments'],
    ["/a/../../b", 'must not climb above the root with ".." segments'],
    ["/%2e%2e/x", 'must not climb above the root with ".." segments'],
    ["/.%2E/x", 'must not climb above the root with ".." segments'],
  ])("%j is refused: %s", (path, rule) => {
    expect(reasonsFor({ tests: ["/healthz", path] })).toEqual([`validation.tests[1].request.path: ${rule}`]);
  });

  test("warm-up paths follow the same rule, each named by its index", () => {
    expect(reasonsFor({ warmup: ["/", "//evil.example/x"] })).toEqual([`validation.warmup.paths[1]: ${RULE}`]);
  });

  test.each(["/", "/healthz", "/version", "/a/../b", "/a//b", "/search?q=a b".replace(" ", "+"), "/login?next=https://example.com/x", "/x#frag", "/%2F"])(
    "%j is a path on the app",
    (path) => {
      expect(reasonsFor({ tests: [path], warmup: [path] })).toEqual([]);
    },
  );
});
