import fc from "fast-check";

// Generators of bad intake messages for the property-based test: a valid spec that sets every
// field, with one to three fields broken (wrong type, out of range, bad name, bad image, unknown
// field, missing required field), or a body that is not a spec at all (malformed JSON, not an
// object, a bad CloudEvent, oversized). Each case says which field paths the refusal must name.

export type Path = readonly (string | number)[];
export interface BadCase {
  readonly payload: string;
  /** Field paths the reasons must name (formatted like the intake: "validation.tests[0].name"). */
  readonly named: readonly string[];
  readonly kind: string;
}

/** Every field of the spec set to a valid value. */
export function fullSpec(): Record<string, unknown> {
  return {
    app: "web",
    namespace: "shop",
    image: "baton.dev/demo-app:2.0.0",
    replicas: 2,
    liveThreshold: 1,
    podsLiveTimeoutSeconds: 60,
    port: 8080,
    template: { metadata: { labels: { tier: "web" }, annotations: { a: "b" } }, spec: { containers: [{ name: "app" }], initContainers: [{ name: "init" }] } },
    validation: {
      tests: [{ name: "v", request: { path: "/version", method: "GET", headers: { "x-a": "1" }, body: "b" }, expect: { status: 200, bodyContains: "2", maxLatencyMs: 500 } }],
      warmup: { requests: 10, concurrency: 2, paths: ["/"], maxErrorRate: 0.1 },
      timeoutSeconds: 60,
      requestTimeoutMs: 1000,
    },
    promotion: "auto",
    promotionTimeoutSeconds: 60,
    shutdown: { delaySeconds: 1, gracePeriodSeconds: 1 },
    postRelease: [
      { name: "clean", timeoutSeconds: 10, sql: { connectionSecretRef: { name: "db", key: "url" }, statements: ["SELECT 1"] } },
      { name: "hook", webhook: { url: "http://example.com/x", method: "POST", headers: { a: "b" }, bearerTokenSecretRef: { name: "tok", key: "t" } } },
    ],
  };
}

const DNS1123 = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/;
const DNS1035 = /^[a-z]([-a-z0-9]*[a-z0-9])?$/;
const anyJson = fc.oneof(fc.constant(null), fc.boolean(), fc.integer(), fc.string({ maxLength: 8 }), fc.array(fc.integer(), { maxLength: 2 }), fc.dictionary(fc.string({ maxLength: 4 }), fc.integer(), { maxKeys: 2 }));
const notString = anyJson.filter((v) => typeof v !== "string");
const notNumber = anyJson.filter((v) => typeof v !== "number");
const notObject = anyJson.filter((v) => typeof v !== "object" || v === null || Array.isArray(v));
const notArray = anyJson.filter((v) => !Array.isArray(v));
const intOutside = (min: number, max: number) => fc.oneof(fc.integer({ max: min - 1, min: min - 1_000_000 }), fc.integer({ min: max + 1, max: max + 1_000_000 }), fc.double({ min, max, noNaN: true }).filter((d) => !Number.isInteger(d)), notNumber);
const badLabel = (re: RegExp, max: number) => fc.oneof(fc.string({ maxLength: 20 }).filter((s) => !re.test(s)), fc.stringMatching(/^[a-z]{64,90}$/).map((s) => s.slice(0, Math.max(max + 1, 64))), fc.constantFrom("", "Web", "-a", "a-", "a_b", "a.b", "a b"), notString);
const badImage = fc.oneof(fc.constantFrom("", "reg/Web:1", "web::1", "web:", ":1", "web@sha256:xyz", "-web", "web:-1", " web", "http://reg/web:1"), fc.string({ minLength: 513, maxLength: 600 }).map((s) => `a${s.replace(/[^a-z]/g, "a")}`), notString);
// not a path, too long, or a path that would leave the app (issue 22: `//host`, `/\host`, a tab the URL parser drops, `..` above the root)
const badPath = fc.oneof(
  fc.string({ maxLength: 10 }).filter((s) => !s.startsWith("/")),
  fc.constant(`/${"a".repeat(2048)}`),
  fc.constantFrom("//169.254.169.254/latest/meta-data", "/\\10.0.0.1/x", "/\t/10.0.0.1/x", "/../x", "/a/%2e%2e/../x"),
  notString,
);
const unknownKey = fc.stringMatching(/^[a-zA-Z_]{1,12}$/).map((k) => `x${k}`);

/** One breakable field: where it is and what makes it bad. */
interface Field {
  readonly path: Path;
  readonly bad: fc.Arbitrary<unknown>;
}

const FIELDS: readonly Field[] = [
  { path: ["app"], bad: badLabel(DNS1035, 55) },
  { path: ["namespace"], bad: fc.oneof(badLabel(DNS1123, 63), fc.constantFrom("kube-system", "kube-public", "kube-node-lease")) },
  { path: ["image"], bad: badImage },
  { path: ["replicas"], bad: intOutside(1, 1000) },
  { path: ["liveThreshold"], bad: intOutside(1, 1000) },
  { path: ["podsLiveTimeoutSeconds"], bad: intOutside(1, 3600) },
  { path: ["port"], bad: intOutside(1, 65_535) },
  { path: ["template"], bad: notObject },
  { path: ["template", "metadata", "labels", "tier"], bad: fc.oneof(fc.string({ minLength: 64, maxLength: 80 }), notString) },
  { path: ["template", "metadata", "annotations", "a"], bad: notString },
  { path: ["template", "spec", "containers"], bad: fc.oneof(fc.constant([]), notArray, fc.constant([{ name: "app" }, { name: "app" }])) },
  { path: ["template", "spec", "containers", 0, "name"], bad: badLabel(DNS1123, 63) },
  { path: ["template", "spec", "initContainers", 0, "name"], bad: badLabel(DNS1123, 63) },
  { path: ["validation"], bad: notObject },
  { path: ["validation", "tests"], bad: fc.oneof(notArray, fc.constant(Array.from({ length: 101 }, (_, i) => ({ name: `t${i}`, request: { path: "/" } })))) },
  { path: ["validation", "tests", 0, "name"], bad: fc.oneof(fc.constant(""), fc.string({ minLength: 64, maxLength: 80 }), notString) },
  { path: ["validation", "tests", 0, "request", "path"], bad: badPath },
  { path: ["validation", "tests", 0, "request", "method"], bad: fc.oneof(fc.constantFrom("FETCH", "get", "", "CONNECT"), notString) },
  { path: ["validation", "tests", 0, "request", "headers", "x-a"], bad: notString },
  { path: ["validation", "tests", 0, "request", "body"], bad: notString },
  { path: ["validation", "tests", 0, "expect", "status"], bad: intOutside(100, 599) },
  { path: ["validation", "tests", 0, "expect", "bodyContains"], bad: fc.oneof(fc.constant(""), notString) },
  { path: ["validation", "tests", 0, "expect", "maxLatencyMs"], bad: intOutside(1, 60_000) },
  { path: ["validation", "warmup", "requests"], bad: intOutside(0, 100_000) },
  { path: ["validation", "warmup", "concurrency"], bad: intOutside(1, 256) },
  { path: ["validation", "warmup", "paths"], bad: fc.oneof(fc.constant([]), notArray, badPath.map((p) => [p])) },
  { path: ["validation", "warmup", "maxErrorRate"], bad: fc.oneof(fc.double({ min: 1.0001, max: 1e6, noNaN: true }), fc.double({ min: -1e6, max: -0.0001, noNaN: true }), notNumber) },
  { path: ["validation", "timeoutSeconds"], bad: intOutside(1, 3600) },
  { path: ["validation", "requestTimeoutMs"], bad: intOutside(1, 60_000) },
  { path: ["promotion"], bad: fc.oneof(fc.string({ maxLength: 10 }).filter((s) => s !== "auto" && s !== "manual"), notString) },
  { path: ["promotionTimeoutSeconds"], bad: intOutside(1, 7 * 86_400) },
  { path: ["shutdown"], bad: notObject },
  { path: ["shutdown", "delaySeconds"], bad: intOutside(0, 86_400) },
  { path: ["shutdown", "gracePeriodSeconds"], bad: intOutside(0, 3600) },
  { path: ["postRelease"], bad: fc.oneof(notArray, fc.constant([{ name: "a", sql: { connectionSecretRef: { name: "d", key: "u" }, statements: ["x"] } }, { name: "a", webhook: { url: "http://x" } }])) },
  { path: ["postRelease", 0, "name"], bad: badLabel(DNS1123, 63) },
  { path: ["postRelease", 0, "timeoutSeconds"], bad: intOutside(1, 3600) },
  { path: ["postRelease", 0, "sql"], bad: fc.oneof(notObject.filter((v) => v !== null), fc.constant(undefined)) }, // undefined: neither sql nor webhook
  { path: ["postRelease", 0, "sql", "connectionSecretRef", "name"], bad: fc.oneof(fc.constantFrom("", "UP", "a_b", "-a"), notString) },
  { path: ["postRelease", 0, "sql", "connectionSecretRef", "key"], bad: fc.oneof(fc.constantFrom("", "a b", "a/b", "ключ"), notString) },
  { path: ["postRelease", 0, "sql", "statements"], bad: fc.oneof(fc.constant([]), fc.constant([""]), notArray) },
  { path: ["postRelease", 1, "webhook", "url"], bad: fc.oneof(fc.constantFrom("ftp://x.y/z", "not a url", "", "file:///etc/passwd"), notString) },
  { path: ["postRelease", 1, "webhook", "method"], bad: fc.oneof(fc.constantFrom("DELETE", "get", "PATCH"), notString) },
  { path: ["postRelease", 1, "webhook", "bearerTokenSecretRef"], bad: notObject.filter((v) => v !== undefined) },
  { path: ["releaseId"], bad: fc.oneof(fc.constantFrom("-a", "a-", "a.b", "a b", "", "a".repeat(64), "é"), notString) },
];

/** Objects a stray field can be added to. */
const OBJECTS: readonly Path[] = [[], ["validation"], ["validation", "warmup"], ["validation", "tests", 0], ["validation", "tests", 0, "request"], ["validation", "tests", 0, "expect"], ["shutdown"], ["template"], ["template", "metadata"], ["postRelease", 0], ["postRelease", 0, "sql"], ["postRelease", 1, "webhook"]];
const REQUIRED: readonly Path[] = [["app"], ["namespace"], ["image"], ["validation", "tests", 0, "name"], ["validation", "tests", 0, "request"], ["postRelease", 0, "name"], ["postRelease", 0, "sql", "statements"], ["postRelease", 1, "webhook", "url"]];

export function formatPath(path: Path): string {
  let out = "";
  for (const part of path) out += typeof part === "number" ? `[${part}]` : out === "" ? part : `.${part}`;
  return out === "" ? "(body)" : out;
}

function setAt(obj: Record<string, unknown>, path: Path, value: unknown): void {
  let cur = obj as Record<string | number, unknown>;
  for (const key of path.slice(0, -1)) cur = cur[key] as Record<string | number, unknown>;
  const last = path.at(-1) as string | number;
  if (value === undefined) delete cur[last];
  else cur[last] = value;
}

type Mutation = { path: Path; value: unknown; named: string };
const brokenField = fc.constantFrom(...FIELDS).chain((f) => f.bad.map((value): Mutation => ({ path: f.path, value, named: formatPath(f.path) })));
const strayField = fc.tuple(fc.constantFrom(...OBJECTS), unknownKey, anyJson).map(([at, key, value]): Mutation => ({ path: [...at, key], value, named: formatPath([...at, key]) }));
const missingField = fc.constantFrom(...REQUIRED).map((path): Mutation => ({ path, value: undefined, named: formatPath(path) }));

/** 1–3 mutations of distinct top-level fields, applied to the full spec. */
const brokenSpec: fc.Arbitrary<BadCase> = fc
  .uniqueArray(fc.oneof({ weight: 6, arbitrary: brokenField }, { weight: 2, arbitrary: strayField }, { weight: 1, arbitrary: missingField }), {
    minLength: 1,
    maxLength: 3,
    selector: (m) => String(m.path[0] ?? m.named),
  })
  .map((ms) => {
    const spec = fullSpec();
    for (const m of ms) setAt(spec, m.path, m.value);
    return { payload: JSON.stringify(spec), named: ms.map((m) => m.named), kind: "spec" };
  });

const validText = JSON.stringify(fullSpec());
const malformed: fc.Arbitrary<BadCase> = fc.oneof(
  fc.integer({ min: 1, max: validText.length - 1 }).map((n) => validText.slice(0, n)), // truncated
  fc.string({ maxLength: 50 }).filter((s) => { try { JSON.parse(s); return false; } catch { return true; } }),
  fc.constantFrom("{app: web}", "{'app':'web'}", "{\"app\":\"web\",}", "\u0000", "NaN", "{\"a\":1}}", ""),
).map((payload) => ({ payload, named: ["(body)"], kind: "malformed JSON" }));
const notAnObject: fc.Arbitrary<BadCase> = fc
  .oneof(fc.constant(null), fc.boolean(), fc.integer(), fc.string({ maxLength: 20 }), fc.array(fc.integer(), { maxLength: 3 }))
  .map((v) => ({ payload: JSON.stringify(v), named: ["(body)"], kind: "not an object" }));
const oversized: fc.Arbitrary<BadCase> = fc.integer({ min: 64 * 1024, max: 80 * 1024 }).map((n) => ({
  payload: JSON.stringify({ ...fullSpec(), validation: { tests: [{ name: "v", request: { path: "/", body: "x".repeat(n) } }] } }),
  named: ["(body)"],
  kind: "oversized",
}));
const badCloudEvent: fc.Arbitrary<BadCase> = fc.oneof(
  fc.constant({ payload: JSON.stringify({ specversion: "1.0", id: "x", source: "ci", type: "dev.baton.release.other.v1", data: fullSpec() }), named: ["type"], kind: "cloudevent" }),
  fc.constant({ payload: JSON.stringify({ specversion: "1.0", id: "x", source: "ci", type: "dev.baton.release.requested.v1", data: "spec" }), named: ["data"], kind: "cloudevent" }),
  brokenField.map((m) => {
    const spec = fullSpec();
    setAt(spec, m.path, m.value);
    return { payload: JSON.stringify({ specversion: "1.0", id: "x", source: "ci", type: "dev.baton.release.requested.v1", data: spec }), named: [`data.${m.named}`], kind: "cloudevent" };
  }),
);

/** A rule across fields: more live pods asked for than replicas (2). */
const aboveReplicas: fc.Arbitrary<BadCase> = fc.integer({ min: 3, max: 1000 }).map((n) => ({ payload: JSON.stringify({ ...fullSpec(), liveThreshold: n }), named: ["liveThreshold"], kind: "spec" }));

export const badIntake: fc.Arbitrary<BadCase> = fc.oneof(
  { weight: 1, arbitrary: aboveReplicas },
  { weight: 16, arbitrary: brokenSpec },
  { weight: 2, arbitrary: malformed },
  { weight: 1, arbitrary: notAnObject },
  { weight: 1, arbitrary: badCloudEvent },
);
export const oversizedIntake = oversized;

/** A reason names a mutated field when one path contains the other (a rule across fields names the parent). */
export function names(reasonPath: string, field: string): boolean {
  if (field === "(body)") return reasonPath === "(body)";
  return reasonPath === field || reasonPath.startsWith(`${field}.`) || reasonPath.startsWith(`${field}[`) || field.startsWith(`${reasonPath}.`) || field.startsWith(`${reasonPath}[`);
}
