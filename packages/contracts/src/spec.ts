import { z } from "zod";
import { APP_PATH, APP_PATH_RULE, appPathProblem } from "./app-path.js";
import { expressionProblem } from "./expression.js";
import { DNS1035_LABEL, DNS1123_LABEL, IMAGE_REFERENCE, MAX_APP_NAME, MAX_IMAGE_REFERENCE, RELEASE_ID } from "./names.js";

// The release spec: the configuration a release carries. Field names are a public contract
// (publishers in other languages write them); see DESIGN.md "Release spec" and the README.

const seconds = (min: number, max: number) => z.number().int().min(min).max(max);

export const SecretKeyRef = z.strictObject({
  name: z.string().regex(DNS1123_SUBDOMAIN(), "must be a DNS-1123 subdomain (a Secret name)").max(253),
  key: z.string().regex(/^[-._a-zA-Z0-9]+$/, "must be a Secret key (letters, digits, '-', '_', '.')").max(253),
});
export type SecretKeyRef = z.infer<typeof SecretKeyRef>;

function DNS1123_SUBDOMAIN(): RegExp {
  return /^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$/;
}

/** A request path on the app under test: origin-relative (see app-path.ts). */
const HttpPath = z
  .string()
  .max(2048)
  .regex(APP_PATH, APP_PATH_RULE)
  .superRefine((path, ctx) => {
    if (!APP_PATH.test(path)) return; // the regex has said it
    const problem = appPathProblem(path);
    if (problem !== undefined) ctx.addIssue({ code: "custom", message: problem, input: path });
  });

export const TestCheck = z.strictObject({
  name: z.string().min(1).max(63),
  request: z.strictObject({
    path: HttpPath,
    method: z.enum(["GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"]).default("GET"),
    headers: z.record(z.string(), z.string().max(8192)).optional(),
    body: z.string().max(65_536).optional(),
  }),
  expect: z
    .strictObject({
      status: z.number().int().min(100).max(599).default(200),
      bodyContains: z.string().min(1).max(4096).optional(),
      maxLatencyMs: z.number().int().min(1).max(60_000).optional(),
    })
    .default({ status: 200 }),
});
export type TestCheck = z.infer<typeof TestCheck>;

export const Warmup = z.strictObject({
  requests: z.number().int().min(0).max(100_000).default(0),
  concurrency: z.number().int().min(1).max(256).default(10),
  paths: z.array(HttpPath).min(1).max(100).default(["/"]),
  maxErrorRate: z.number().min(0).max(1).default(0.01),
});

export const Validation = z.strictObject({
  tests: z.array(TestCheck).max(100).default([]),
  warmup: Warmup.default({ requests: 0, concurrency: 10, paths: ["/"], maxErrorRate: 0.01 }),
  /** Deadline of the validating phase: test and warm-up traffic must be done by then. */
  timeoutSeconds: seconds(1, 3600).default(300),
  /** Per-request timeout when a test sets no maxLatencyMs, and for warm-up requests. */
  requestTimeoutMs: z.number().int().min(1).max(60_000).default(10_000),
});

export const SqlActivity = z.strictObject({
  connectionSecretRef: SecretKeyRef,
  statements: z.array(z.string().min(1).max(65_536)).min(1).max(100),
});

export const WebhookActivity = z.strictObject({
  url: z.url({ protocol: /^https?$/, error: "must be an http or https URL" }).max(2048),
  method: z.enum(["POST", "PUT", "GET"]).default("POST"),
  headers: z.record(z.string(), z.string().max(8192)).optional(),
  /** Sent as `Authorization: Bearer <value>`; the token stays in the Secret, never in events. */
  bearerTokenSecretRef: SecretKeyRef.optional(),
});

export const PostReleaseActivity = z
  .strictObject({
    name: z.string().regex(DNS1123_LABEL, "must be a DNS-1123 label").max(63),
    timeoutSeconds: seconds(1, 3600).default(60),
    sql: SqlActivity.optional(),
    webhook: WebhookActivity.optional(),
  })
  .refine((a) => (a.sql === undefined) !== (a.webhook === undefined), {
    message: "must set exactly one of sql, webhook",
  });
export type PostReleaseActivity = z.infer<typeof PostReleaseActivity>;

/** An analysis template: `{{app}}` and the like (see analysis.ts TEMPLATE_NAMES), placeholders filled before the URL check. */
const TEMPLATE = /\{\{\s*([A-Za-z]+)\s*\}\}/g;
const TEMPLATE_NAMES = ["app", "namespace", "revision", "previousRevision", "releaseId", "podTemplateHash", "interval"];

function templatesOk(text: string, ctx: z.RefinementCtx): void {
  for (const m of text.matchAll(TEMPLATE)) {
    if (!TEMPLATE_NAMES.includes(m[1] as string)) {
      ctx.addIssue({ code: "custom", message: `unknown template {{${m[1]}}} (known: ${TEMPLATE_NAMES.map((n) => `{{${n}}}`).join(", ")})`, input: text });
    }
  }
}

/** An http(s) URL once its templates are filled in. */
const TemplatedUrl = z
  .string()
  .max(2048)
  .superRefine((url, ctx) => {
    templatesOk(url, ctx);
    if (!URL.canParse(url.replace(TEMPLATE, "x")) || !/^https?:$/.test(new URL(url.replace(TEMPLATE, "x")).protocol)) {
      ctx.addIssue({ code: "custom", message: "must be an http or https URL", input: url });
    }
  });

const Condition = z
  .string()
  .min(1)
  .max(1024)
  .superRefine((expr, ctx) => {
    const problem = expressionProblem(expr);
    if (problem !== undefined) ctx.addIssue({ code: "custom", message: `is not a valid condition: ${problem}`, input: expr });
  });

/** One header of a web metric: a literal value, or one read from a Secret bound to the app (never carried in the spec). */
const MetricHeader = z
  .strictObject({
    name: z.string().regex(/^[!#$%&'*+.^_`|~0-9A-Za-z-]+$/, "must be an HTTP header name").max(256),
    value: z.string().max(8192).optional(),
    valueFrom: z.strictObject({ secretKeyRef: SecretKeyRef }).optional(),
  })
  .refine((h) => (h.value === undefined) !== (h.valueFrom === undefined), { message: "must set exactly one of value, valueFrom" });

export const AnalysisMetric = z
  .strictObject({
    name: z.string().regex(DNS1123_LABEL, "must be a DNS-1123 label").max(63),
    /** PromQL instant query; `address` defaults to the installation's BATON_PROMETHEUS_ADDRESS. */
    prometheus: z
      .strictObject({
        address: TemplatedUrl.optional(),
        query: z.string().min(1).max(16_384).superRefine(templatesOk),
      })
      .optional(),
    /** Any JSON endpoint; `jsonPath` picks the result ($, $.a.b, $.a[0]). */
    web: z
      .strictObject({
        url: TemplatedUrl,
        method: z.enum(["GET", "POST"]).default("GET"),
        headers: z.array(MetricHeader).max(20).default([]),
        body: z.string().max(65_536).superRefine(templatesOk).optional(),
        jsonPath: z.string().regex(/^\$(\.[A-Za-z_][A-Za-z0-9_-]*|\[\d+\])*$/, "must be a JSON path like $, $.data.value or $.items[0].rate").default("$"),
      })
      .optional(),
    successCondition: Condition.optional(),
    failureCondition: Condition.optional(),
    /** Seconds between measurements. */
    interval: seconds(1, 3600).default(60),
    /** Measurements with a verdict (successful or failed; errors and inconclusive ones do not count): the metric passes after this many. */
    count: z.number().int().min(1).max(1000).default(1),
    initialDelaySeconds: seconds(0, 3600).default(0),
    /** The metric fails past this many failed measurements. */
    failureLimit: z.number().int().min(0).max(1000).default(0),
    /** The metric is inconclusive past this many inconclusive measurements. */
    inconclusiveLimit: z.number().int().min(0).max(1000).default(0),
    /** The metric fails past this many errors in a row (a query that cannot be made). */
    consecutiveErrorLimit: z.number().int().min(0).max(1000).default(4),
    /** The verdict of a measurement with no data (an empty vector, NaN, a JSON path that matches nothing). */
    noDataIs: z.enum(["failure", "inconclusive", "success"]).default("inconclusive"),
  })
  .refine((m) => (m.prometheus === undefined) !== (m.web === undefined), { message: "must set exactly one of prometheus, web" })
  .refine((m) => m.successCondition !== undefined || m.failureCondition !== undefined, {
    message: "must set successCondition or failureCondition (or both)",
  });
export type AnalysisMetric = z.infer<typeof AnalysisMetric>;

const Metrics = z
  .array(AnalysisMetric)
  .max(10)
  .default([])
  .refine((list) => unique(list.map((m) => m.name)), { message: "metric names must be unique" });

/** Metric gates: before the switch (v2 on test and warm-up traffic) and after it (v2 on production, v1 still up). */
export const Analysis = z.strictObject({ prePromotion: Metrics, postPromotion: Metrics });

/**
 * A PodTemplateSpec as in a Deployment. Baton checks the outline (metadata, spec, containers
 * named and unique) and leaves the rest to the API server, which validates pods for real.
 */
const Container = z.looseObject({ name: z.string().regex(DNS1123_LABEL, "must be a DNS-1123 label").max(63) });
export const PodTemplate = z.strictObject({
  metadata: z
    .strictObject({
      labels: z.record(z.string(), z.string().max(63)).optional(),
      annotations: z.record(z.string(), z.string()).optional(),
    })
    .optional(),
  spec: z
    .looseObject({
      containers: z.array(Container).min(1).max(32).optional(),
      initContainers: z.array(Container).max(32).optional(),
    })
    .refine((s) => unique((s.containers ?? []).map((c) => c.name)), { message: "containers must have unique names" })
    .optional(),
});
export type PodTemplate = z.infer<typeof PodTemplate>;

function unique(names: string[]): boolean {
  return new Set(names).size === names.length;
}

const ReleaseSpecObject = z.strictObject({
  app: z
    .string()
    .max(MAX_APP_NAME)
    .regex(DNS1035_LABEL, "must be a DNS-1035 label (lower-case letters, digits and '-', starting with a letter)"),
  namespace: z.string().max(63).regex(DNS1123_LABEL, "must be a DNS-1123 label (lower-case letters, digits and '-')"),
  image: z
    .string()
    .max(MAX_IMAGE_REFERENCE)
    .regex(IMAGE_REFERENCE, "must be an image reference ([registry/]name[:tag][@digest], lower-case name)"),
  replicas: z.number().int().min(1).max(1000).default(1),
  template: PodTemplate.optional(),
  /** PodsLive once this many v2 pods are Ready; defaults to replicas. */
  liveThreshold: z.number().int().min(1).max(1000).optional(),
  podsLiveTimeoutSeconds: seconds(1, 3600).default(300),
  port: z.number().int().min(1).max(65_535).default(8080),
  validation: Validation.default({
    tests: [],
    warmup: { requests: 0, concurrency: 10, paths: ["/"], maxErrorRate: 0.01 },
    timeoutSeconds: 300,
    requestTimeoutMs: 10_000,
  }),
  promotion: z.enum(["auto", "manual"]).default("auto"),
  /** With manual promotion: the release rolls back when nobody promotes it by then. */
  promotionTimeoutSeconds: seconds(1, 7 * 86_400).default(3600),
  shutdown: z
    .strictObject({
      delaySeconds: seconds(0, 86_400).default(30),
      gracePeriodSeconds: seconds(0, 3600).default(60),
    })
    .default({ delaySeconds: 30, gracePeriodSeconds: 60 }),
  postRelease: z
    .array(PostReleaseActivity)
    .max(20)
    .default([])
    .refine((list) => unique(list.map((a) => a.name)), { message: "activity names must be unique" }),
  /** Metric gates (see the README "Analysis"); absent: the release runs as without analysis. */
  analysis: Analysis.optional(),
});

/** Adds the rules across fields and resolves liveThreshold (defaults to replicas). */
function withSpecRules<S extends z.ZodType<z.output<typeof ReleaseSpecObject>>>(schema: S) {
  return schema
    .superRefine((spec, ctx) => {
      if (spec.liveThreshold !== undefined && spec.liveThreshold > spec.replicas) {
        ctx.addIssue({ code: "custom", path: ["liveThreshold"], message: `must be <= replicas (${spec.replicas})` });
      }
    })
    .transform((spec: z.output<S>) => ({ ...spec, liveThreshold: spec.liveThreshold ?? spec.replicas }));
}

/** The release spec with every default resolved; liveThreshold <= replicas. */
export const ReleaseSpec = withSpecRules(ReleaseSpecObject);
export type ReleaseSpec = z.output<typeof ReleaseSpec>;
export type ReleaseSpecInput = z.input<typeof ReleaseSpec>;

/** The public intake body: the release spec, plus an optional releaseId chosen by the caller. */
export const IntakeBody = withSpecRules(
  ReleaseSpecObject.extend({
    releaseId: z
      .string()
      .regex(RELEASE_ID, "must be 1-63 letters, digits, '-' or '_', starting and ending with a letter or digit")
      .optional(),
  }),
);
export type IntakeBody = z.output<typeof IntakeBody>;
