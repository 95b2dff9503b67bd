import type { Reason } from "./reasons.js";
import type { AnalysisMetric, ReleaseSpec, SecretKeyRef } from "./spec.js";

// What a release may reach beyond its own app: the hosts its post-release webhooks and its web
// analysis metrics call (and the Prometheus addresses its metrics name), and the Secrets its
// activities and metric headers read. A Prometheus address is one more URL Baton's pods call on a
// release's behalf, with the same risk (a release author pointing Baton at an internal service),
// so it answers to the same one list of hosts: an operator reviews one list of what releases may
// reach. The installation's own BATON_PROMETHEUS_ADDRESS, used when a metric names none, is trusted. Both are the installation's policy (Baton's config), checked by the
// planner before anything is created, and again by the reaper when it calls or reads (the config
// or a Secret's label may have changed since). Pure: the I/O is the callers'.

/** Webhook hosts a release may call: "*" (any), or entries "host", "host:port", "*.domain". */
export type HostAllowList = readonly string[] | "*";

/** One allow-list entry: a host name or IP (IPv6 in brackets), "*.domain", with an optional port. */
export const HOST_ENTRY = /^(?:\*\.)?(?:[a-z0-9]([-a-z0-9]*[a-z0-9])?)(?:\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*(?::\d{1,5})?$|^\[[0-9a-f:.]+\](?::\d{1,5})?$/;

/** Whether a webhook URL's host is allowed: "host" any port, "host:port" that port, "*.domain" any sub-domain. */
export function hostAllowed(url: URL, allowed: HostAllowList): boolean {
  if (allowed === "*") return true;
  const host = url.hostname.toLowerCase();
  const port = url.port === "" ? (url.protocol === "https:" ? "443" : "80") : url.port;
  return allowed.some((entry) => {
    const at = entry.lastIndexOf(":");
    const hasPort = at > entry.lastIndexOf("]") && at !== -1;
    const name = hasPort ? entry.slice(0, at) : entry;
    if (hasPort && entry.slice(at + 1) !== port) return false;
    return name.startsWith("*.") ? host.endsWith(name.slice(1)) && host.length > name.length - 1 : host === name;
  });
}

/** Why a webhook URL may not be called ("host … is not an allowed webhook host …"), or undefined. */
export function webhookHostProblem(url: string, allowed: HostAllowList): string | undefined {
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    return "must be an http or https URL";
  }
  if (hostAllowed(parsed, allowed)) return undefined;
  const list = allowed === "*" || allowed.length === 0 ? "none is allowed" : `allowed: ${allowed.join(", ")}`;
  return `host ${parsed.host} is not an allowed webhook host (BATON_WEBHOOK_ALLOWED_HOSTS; ${list})`;
}

/** The rule a webhook URL breaks when its host is not allowed. */
export const WEBHOOK_HOST_RULE = "must call an allowed webhook host (BATON_WEBHOOK_ALLOWED_HOSTS)";

/** Why a webhook URL may not be called, naming the field; undefined when its host is allowed. */
export function webhookRefusal(url: string, allowed: HostAllowList, path: string): Reason | undefined {
  const problem = webhookHostProblem(url, allowed);
  return problem === undefined ? undefined : { path, rule: WEBHOOK_HOST_RULE, message: `${path}: ${problem}` };
}

/** Every webhook, web metric and Prometheus address of a spec that may not be called, as reasons. */
export function webhookRefusals(spec: ReleaseSpec, allowed: HostAllowList): Reason[] {
  const urls = [
    ...spec.postRelease.flatMap((a, i) => (a.webhook === undefined ? [] : [{ url: a.webhook.url, path: `postRelease[${i}].webhook.url` }])),
    ...analysisMetrics(spec).flatMap(({ m, path }) => {
      if (m.web !== undefined) return [{ url: fillForCheck(m.web.url, spec), path: `${path}.web.url` }];
      const address = m.prometheus?.address;
      return address === undefined ? [] : [{ url: fillForCheck(address, spec), path: `${path}.prometheus.address` }];
    }),
  ];
  return urls.flatMap(({ url, path }) => {
    const why = webhookRefusal(url, allowed, path);
    return why === undefined ? [] : [why];
  });
}

/** The rule a Prometheus metric breaks when it names no address and the installation has none. */
export const PROMETHEUS_ADDRESS_RULE = "must name prometheus.address when the installation sets no BATON_PROMETHEUS_ADDRESS";

/** Every Prometheus metric with no address of its own, when the installation has no default either. */
export function prometheusAddressRefusals(spec: ReleaseSpec, hasDefault: boolean): Reason[] {
  if (hasDefault) return [];
  return analysisMetrics(spec).flatMap(({ m, path }) =>
    m.prometheus === undefined || m.prometheus.address !== undefined
      ? []
      : [{ path: `${path}.prometheus.address`, rule: PROMETHEUS_ADDRESS_RULE, message: `${path}.prometheus.address: is required: the installation sets no BATON_PROMETHEUS_ADDRESS` }],
  );
}

/** Every metric of a spec's analyses with its field path. */
function analysisMetrics(spec: ReleaseSpec): { m: AnalysisMetric; path: string }[] {
  const a = spec.analysis;
  if (a === undefined) return [];
  return (["prePromotion", "postPromotion"] as const).flatMap((phase) => a[phase].map((m, i) => ({ m, path: `analysis.${phase}[${i}]` })));
}

/** A templated URL with what the plan knows filled in (app, namespace) and the rest a placeholder. */
function fillForCheck(url: string, spec: ReleaseSpec): string {
  return url.replace(/\{\{\s*([A-Za-z]+)\s*\}\}/g, (_, name: string) => (name === "app" ? spec.app : name === "namespace" ? spec.namespace : "x"));
}

/** The label that binds a Secret to the one app whose releases may use it. */
export const SECRET_APP_LABEL = "baton.dev/app";

/** An explicit grant in Baton's config: releases of `namespace/app` may use Secret `secret` (BATON_SECRET_BINDINGS). */
export interface SecretBinding {
  readonly namespace: string;
  readonly app: string;
  readonly secret: string;
}

/** Whether BATON_SECRET_BINDINGS grants releases of `namespace/app` the Secret `secret`. */
export function grantedByConfig(bindings: readonly SecretBinding[], release: { readonly namespace: string; readonly app: string }, secret: string): boolean {
  return bindings.some((b) => b.namespace === release.namespace && b.app === release.app && b.secret === secret);
}

/** A Secret a spec names, with the field that names it. */
export interface SecretUse {
  readonly path: string;
  readonly ref: SecretKeyRef;
}

/** Every Secret reference of a spec (SQL connections, webhook bearer tokens), each with its field. */
export function secretUses(spec: ReleaseSpec): SecretUse[] {
  const activities = spec.postRelease.flatMap((a, i): SecretUse[] => {
    if (a.sql !== undefined) return [{ path: `postRelease[${i}].sql.connectionSecretRef.name`, ref: a.sql.connectionSecretRef }];
    const token = a.webhook?.bearerTokenSecretRef;
    return token === undefined ? [] : [{ path: `postRelease[${i}].webhook.bearerTokenSecretRef.name`, ref: token }];
  });
  const headers = analysisMetrics(spec).flatMap(({ m, path }) =>
    (m.web?.headers ?? []).flatMap((h, i): SecretUse[] =>
      h.valueFrom === undefined ? [] : [{ path: `${path}.web.headers[${i}].valueFrom.secretKeyRef.name`, ref: h.valueFrom.secretKeyRef }],
    ),
  );
  return [...activities, ...headers];
}

/** The rule a Secret reference breaks when it is not bound to the app. */
export const SECRET_BINDING_RULE = `must name a Secret bound to the app (label ${SECRET_APP_LABEL}, or BATON_SECRET_BINDINGS)`;

/**
 * Why a release of `release.app` may not use the Secret `name`, or undefined when it may: the
 * Secret carries the label `baton.dev/app: <app>`, or BATON_SECRET_BINDINGS grants it. `labels`:
 * the Secret's labels as read, or null when it does not exist.
 */
export function secretBindingProblem(
  name: string,
  release: { readonly namespace: string; readonly app: string },
  labels: Readonly<Record<string, string>> | null,
  bindings: readonly SecretBinding[],
): string | undefined {
  const { namespace, app } = release;
  if (grantedByConfig(bindings, release, name)) return undefined;
  const boundTo = labels?.[SECRET_APP_LABEL];
  if (boundTo === app) return undefined;
  const where = `Secret ${namespace}/${name}`;
  const why = labels === null ? `${where} does not exist` : boundTo === undefined ? `${where} is not bound to any app` : `${where} is bound to app "${boundTo}", not "${app}"`;
  return `${why}; a release may use only Secrets bound to its app: label it ${SECRET_APP_LABEL}=${app}, or grant it in BATON_SECRET_BINDINGS (${namespace}/${app}:${name})`;
}

/** {@link secretBindingProblem} as a reason naming the field that names the Secret. */
export function secretBindingRefusal(
  use: SecretUse,
  release: { readonly namespace: string; readonly app: string },
  labels: Readonly<Record<string, string>> | null,
  bindings: readonly SecretBinding[],
): Reason | undefined {
  const problem = secretBindingProblem(use.ref.name, release, labels, bindings);
  return problem === undefined ? undefined : { path: use.path, rule: SECRET_BINDING_RULE, message: `${use.path}: ${problem}` };
}
