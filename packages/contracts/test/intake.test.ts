import { readFile } from "node:fs/promises";
import { join } from "node:path";
import { describe, expect, test } from "vitest";
import { eventType, jsonSchemas, parseIntake, releaseIdOfObject, releaseObjectOf, requestedViaRelease, ReleaseSpec, type IntakePolicy } from "@baton/contracts";
import { specInput } from "@baton/contracts/testing";

const ANY: IntakePolicy = { allowedNamespaces: "*" };
const body = (over: Record<string, unknown> = {}) => JSON.stringify({ ...specInput(), ...over });

function messages(payload: string, policy: IntakePolicy = ANY): string[] {
  const r = parseIntake(payload, policy);
  if (r.ok) throw new Error("expected a refusal");
  return r.refusal.reasons.map((x) => x.message);
}

describe("release spec", () => {
  test("defaults are resolved: liveThreshold = replicas, auto promotion, 30 s delay, 60 s grace", () => {
    const s = ReleaseSpec.parse(specInput({ replicas: 4 }));
    expect(s).toMatchObject({
      liveThreshold: 4,
      port: 8080,
      podsLiveTimeoutSeconds: 300,
      promotion: "auto",
      shutdown: { delaySeconds: 30, gracePeriodSeconds: 60 },
      validation: { tests: [], warmup: { requests: 0, concurrency: 10, maxErrorRate: 0.01 } },
      postRelease: [],
    });
  });

  test("the DESIGN.md example spec is valid as written", () => {
    const s = ReleaseSpec.parse({
      app: "web",
      namespace: "shop",
      image: "registry.example.com/shop/web:2.0.0",
      replicas: 4,
      template: {
        spec: {
          containers: [
            {
              name: "app",
              env: [{ name: "CATALOG_URL", value: "http://catalog" }],
              resources: { requests: { cpu: "100m", memory: "128Mi" } },
              readinessProbe: { httpGet: { path: "/healthz", port: 8080 } },
            },
          ],
        },
      },
      liveThreshold: 3,
      podsLiveTimeoutSeconds: 300,
      port: 8080,
      validation: {
        tests: [
          { name: "health", request: { path: "/healthz" }, expect: { status: 200 } },
          { name: "version", request: { path: "/version" }, expect: { status: 200, bodyContains: "2.0.0", maxLatencyMs: 200 } },
        ],
        warmup: { requests: 500, concurrency: 10, paths: ["/", "/catalog"], maxErrorRate: 0.01 },
      },
      promotion: "auto",
      shutdown: { delaySeconds: 30, gracePeriodSeconds: 60 },
      postRelease: [
        {
          name: "drop-v1-schema",
          sql: { connectionSecretRef: { name: "web-v1-db", key: "url" }, statements: ["DROP SCHEMA IF EXISTS web_v1 CASCADE"] },
        },
      ],
    });
    expect(s.liveThreshold).toBe(3);
  });

  test.each([
    ["registry.example.com/shop/web:2.0.0", true],
    ["localhost:5000/web@sha256:" + "a".repeat(64), true],
    ["baton.dev/demo-app:2.0.0", true],
    ["web", true],
    ["Web:1", false],
    ["web:", false],
    ["web::1", false],
    ["-web:1", false],
    ["registry.example.com/shop/web:" + "x".repeat(129), false],
    ["web@sha256:short", false],
  ])("image %s valid=%s", (image, valid) => {
    expect(ReleaseSpec.safeParse(specInput({ image })).success).toBe(valid);
  });
});

describe("intake", () => {
  test("a bare body with a releaseId is accepted and the id kept", () => {
    const r = parseIntake(body({ releaseId: "deploy-42" }), ANY);
    expect(r).toMatchObject({ ok: true, request: { releaseId: "deploy-42", spec: { app: "web", replicas: 2 } } });
  });

  test("a CloudEvents envelope is accepted with its traceparent", () => {
    const traceparent = "00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01";
    const ce = { specversion: "1.0", id: "x1", source: "ci", type: eventType("ReleaseRequested"), traceparent, data: specInput() };
    expect(parseIntake(JSON.stringify(ce), ANY)).toMatchObject({ ok: true, request: { traceparent, releaseId: undefined } });
  });

  test("a CloudEvent keeps its caller's source, id and subject (requestedVia); a bare body has none", () => {
    const ce = { specversion: "1.0", id: "build-881", source: "https://ci.example.com/shop/web", subject: "main@4f2c1e0", type: eventType("ReleaseRequested"), data: specInput() };
    expect(parseIntake(JSON.stringify(ce), ANY)).toMatchObject({ ok: true, request: { requestedVia: { source: "https://ci.example.com/shop/web", id: "build-881", subject: "main@4f2c1e0" } } });
    const bare = parseIntake(body({}), ANY);
    expect(bare.ok && bare.request.requestedVia).toBe(undefined);
  });

  test("a Release object is found from requestedVia only when the release id and namespace are that object's", () => {
    const uid = "5e0b8a2c-1f3d-4c44-9a51-0d8e1a2b3c4d";
    const requestedVia = requestedViaRelease({ namespace: "shop", name: "web", uid, generation: 3 });
    expect(requestedVia).toEqual({ source: "/apis/baton.dev/v1alpha1/namespaces/shop/releases/web", id: `${uid}/3`, subject: "web" });
    const releaseId = releaseIdOfObject(uid, 3);
    expect(releaseId).toBe("cr-5e0b8a2c-3");
    expect(releaseObjectOf({ releaseId, namespace: "shop", requestedVia })).toEqual({ namespace: "shop", name: "web", uid, generation: 3 });
    expect(releaseObjectOf({ releaseId: "cr-5e0b8a2c-4", namespace: "shop", requestedVia })).toBe(null);
    expect(releaseObjectOf({ releaseId, namespace: "other", requestedVia })).toBe(null);
    expect(releaseObjectOf({ releaseId, namespace: "shop" })).toBe(null);
  });

  test("a CloudEvent of another type is refused, naming the type", () => {
    const ce = { specversion: "1.0", id: "x1", source: "ci", type: "com.example.other", data: specInput() };
    expect(messages(JSON.stringify(ce))).toEqual([`type: must be "dev.baton.release.requested.v1"`]);
  });

  test("not JSON, not an object, oversized", () => {
    expect(messages("{nope")[0]).toMatch(/^\(body\): must be JSON/);
    expect(messages("[1,2]")).toEqual(["(body): must be a JSON object"]);
    expect(messages(body({ image: "a".repeat(70_000) }))[0]).toMatch(/^\(body\): must be at most 65536 bytes \(got \d+\)$/);
  });

  test("every bad field is named with its rule, all at once", () => {
    const m = messages(
      body({
        app: "Web_App",
        namespace: "Shop",
        image: "not an image",
        replicas: 2,
        liveThreshold: 3,
        port: 70000,
        promotion: "sometimes",
        surprise: true,
        validation: { tests: [{ name: "t", request: { path: "healthz" } }] },
      }),
    );
    expect(m).toEqual(
      expect.arrayContaining([
        "app: must be a DNS-1035 label (lower-case letters, digits and '-', starting with a letter)",
        "namespace: must be a DNS-1123 label (lower-case letters, digits and '-')",
        "image: must be an image reference ([registry/]name[:tag][@digest], lower-case name)",
        "port: must be at most 65535",
        'promotion: must be one of "auto", "manual"',
        "surprise: unknown field (not part of the release spec)",
        'validation.tests[0].request.path: must be a path on the app (start with one "/", no "//", "\\" or scheme)',
      ]),
    );
  });

  test("missing fields and wrong types", () => {
    const m = messages(JSON.stringify({ app: "web", replicas: "four" }));
    expect(m).toEqual(
      expect.arrayContaining(["namespace: is required (string)", "image: is required (string)", "replicas: must be a number"]),
    );
  });

  test("liveThreshold above replicas names both", () => {
    expect(messages(body({ replicas: 2, liveThreshold: 3 }))).toEqual(["liveThreshold: must be <= replicas (2)"]);
  });

  test("namespaces: kube-system never, others only when allowed", () => {
    expect(messages(body({ namespace: "kube-system" }))).toEqual([
      'namespace: must not be a system namespace ("kube-system" is never allowed)',
    ]);
    expect(messages(body({ namespace: "prod" }), { allowedNamespaces: ["shop", "staging"] })).toEqual([
      "namespace: must be one of the allowed namespaces (shop, staging)",
    ]);
  });

  test("a refusal keeps what could be read, for the ReleaseRejected event", () => {
    const r = parseIntake(body({ replicas: 0, releaseId: "r-1" }), ANY);
    expect(r).toMatchObject({ ok: false, refusal: { releaseId: "r-1", app: "web", namespace: "shop" } });
  });
});

test("the JSON Schema files in packages/contracts/schemas are up to date (run `pnpm schemas`)", async () => {
  const dir = join(import.meta.dirname, "..", "schemas");
  for (const { file, schema } of jsonSchemas()) {
    const onDisk = await readFile(join(dir, file), "utf8").catch(() => "(missing)");
    expect(onDisk, file).toBe(`${JSON.stringify(schema, null, 2)}\n`);
  }
});
