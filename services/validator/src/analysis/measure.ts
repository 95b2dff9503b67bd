import type { CoreV1Api } from "@kubernetes/client-node";
import {
  renderTemplate,
  secretBindingProblem,
  webhookHostProblem,
  type AnalysisMetric,
  type Reading,
  type ReleaseState,
  type SecretKeyRef,
  type TemplateValues,
} from "@baton/contracts";
import { kubeCall, kubeStatus, messageOf, revisionSelector, type Metrics } from "@baton/runtime";
import type { ValidatorDeps } from "../deps.js";
import { queryPrometheus } from "./prometheus.js";
import { queryWeb } from "./web.js";

// One measurement of one metric: fill the templates from the release, check the policy again (the
// host allow-list, the Secrets' binding: the config or a label may have changed since the plan),
// read the header Secrets, query. Never throws: whatever goes wrong is an error reading, judged
// by consecutiveErrorLimit. Secret values go into the request only, never into a message.

/** How long one query may take. */
export const QUERY_TIMEOUT_MS = 10_000;

interface Release {
  readonly releaseId: string;
  readonly app: string;
  readonly namespace: string;
}

export async function measure(deps: ValidatorDeps, metrics: Metrics, release: Release, state: ReleaseState, m: AnalysisMetric, signal: AbortSignal): Promise<Reading> {
  try {
    const values = await templateValues(deps.core, metrics, release, state, m);
    if (m.prometheus !== undefined) {
      const address = m.prometheus.address === undefined ? deps.config.BATON_PROMETHEUS_ADDRESS : renderTemplate(m.prometheus.address, values);
      if (address === undefined) return { kind: "error", error: "no prometheus.address, and the installation sets no BATON_PROMETHEUS_ADDRESS" };
      const refused = m.prometheus.address === undefined ? undefined : webhookHostProblem(address, deps.config.BATON_WEBHOOK_ALLOWED_HOSTS);
      if (refused !== undefined) return { kind: "error", error: refused };
      return await queryPrometheus(address, renderTemplate(m.prometheus.query, values), QUERY_TIMEOUT_MS, signal);
    }
    const web = m.web as NonNullable<AnalysisMetric["web"]>;
    const url = renderTemplate(web.url, values);
    const refused = webhookHostProblem(url, deps.config.BATON_WEBHOOK_ALLOWED_HOSTS);
    if (refused !== undefined) return { kind: "error", error: refused };
    const headers: Record<string, string> = {};
    for (const h of web.headers) {
      headers[h.name] = h.value !== undefined ? h.value : await readSecretValue(deps, metrics, release, (h.valueFrom as { secretKeyRef: SecretKeyRef }).secretKeyRef);
    }
    const body = web.body === undefined ? {} : { body: renderTemplate(web.body, values) };
    return await queryWeb({ url, method: web.method, headers, jsonPath: web.jsonPath, ...body }, QUERY_TIMEOUT_MS, signal);
  } catch (err) {
    return { kind: "error", error: messageOf(err) };
  }
}

async function templateValues(core: CoreV1Api, metrics: Metrics, release: Release, state: ReleaseState, m: AnalysisMetric): Promise<TemplateValues> {
  const texts = [m.prometheus?.query, m.prometheus?.address, m.web?.url, m.web?.body].join("\n");
  const hash = /\{\{\s*podTemplateHash\s*\}\}/.test(texts) ? await podTemplateHash(core, metrics, release, state.revision ?? 0) : "";
  return {
    app: release.app,
    namespace: release.namespace,
    revision: String(state.revision ?? ""),
    previousRevision: String(state.previousRevision ?? ""),
    releaseId: release.releaseId,
    podTemplateHash: hash,
    interval: `${m.interval}s`,
  };
}

/** The pod-template-hash label of v2's pods (its ReplicaSet's), for queries by pod. */
async function podTemplateHash(core: CoreV1Api, metrics: Metrics, release: Release, revision: number): Promise<string> {
  const selector = Object.entries(revisionSelector(release.app, revision)).map(([k, v]) => `${k}=${v}`).join(",");
  const pods = await kubeCall(metrics, "list", "pods", () => core.listNamespacedPod({ namespace: release.namespace, labelSelector: selector }));
  const hash = pods.items.map((p) => p.metadata?.labels?.["pod-template-hash"]).find((h) => h !== undefined);
  if (hash === undefined) throw new Error(`no pod of revision ${revision} has a pod-template-hash label`);
  return hash;
}

/** One value of a Secret bound to the app (label baton.dev/app or BATON_SECRET_BINDINGS), checked on the Secret just read. */
async function readSecretValue(deps: ValidatorDeps, metrics: Metrics, release: Release, ref: SecretKeyRef): Promise<string> {
  const where = `Secret ${release.namespace}/${ref.name}`;
  const secret = await kubeCall(metrics, "get", "secrets", () => deps.core.readNamespacedSecret({ name: ref.name, namespace: release.namespace })).catch((err: unknown) => {
    throw new Error(`cannot read ${where}: ${kubeStatus(err) === undefined ? "API unreachable" : `HTTP ${kubeStatus(err)}`}`);
  });
  const unbound = secretBindingProblem(ref.name, release, secret.metadata?.labels ?? {}, deps.config.BATON_SECRET_BINDINGS);
  if (unbound !== undefined) throw new Error(unbound);
  const encoded = secret.data?.[ref.key];
  if (encoded !== undefined) return Buffer.from(encoded, "base64").toString("utf8");
  const plain = secret.stringData?.[ref.key];
  if (plain !== undefined) return plain;
  throw new Error(`${where} has no key "${ref.key}"`);
}
