import { setHeaderOptions, type V1Secret } from "@kubernetes/client-node";
import { grantedByConfig, prometheusAddressRefusals, secretBindingRefusal, secretUses, webhookRefusals, type Reason, type ReleaseSpec, type SecretUse } from "@baton/contracts";
import { kubeCall, kubeError, kubeStatus, isNotFound } from "@baton/runtime";
import type { KubePorts } from "../kube.js";
import type { PlannerOptions } from "../options.js";

// What the release may reach beyond its own app, checked before anything is created (issue 22):
// every webhook's host must be allowed (BATON_WEBHOOK_ALLOWED_HOSTS), and every Secret the spec
// names must be bound to the app (label `baton.dev/app: <app>`, or BATON_SECRET_BINDINGS) — so
// whoever may release app X cannot have Baton read app Y's credentials, nor send them anywhere.
// The reaper checks both again when it calls or reads (the config or a label may have changed).

/** Only the Secret's metadata: the planner never needs (nor receives, from a real API server) its data. */
const METADATA_ONLY = "application/json;as=PartialObjectMetadata;g=meta.k8s.io;v=v1,application/json";

/** Every reason the spec may not reach what it names; empty when it may. */
export async function referenceRefusals(
  kube: KubePorts,
  spec: ReleaseSpec,
  release: { namespace: string; app: string },
  opts: PlannerOptions,
): Promise<Reason[]> {
  const webhooks = [...webhookRefusals(spec, opts.webhookHosts), ...prometheusAddressRefusals(spec, opts.prometheusAddress !== undefined)];
  const secrets = await Promise.all(secretUses(spec).map((use) => secretRefusal(kube, use, release, opts)));
  return [...webhooks, ...secrets.filter((r): r is Reason => r !== undefined)];
}

async function secretRefusal(kube: KubePorts, use: SecretUse, release: { namespace: string; app: string }, opts: PlannerOptions): Promise<Reason | undefined> {
  if (grantedByConfig(opts.secretBindings, release, use.ref.name)) return undefined; // no need to read it
  const read = await readLabels(kube, release.namespace, use.ref.name);
  if (read === "forbidden") {
    const message = `${use.path}: Baton may not read Secret ${release.namespace}/${use.ref.name} (HTTP 403): grant the planner and the reaper "get" on it (deploy/overlays: the Secret rules of the namespace)`;
    return { path: use.path, rule: "must name a Secret Baton may read", message };
  }
  return secretBindingRefusal(use, release, read, opts.secretBindings);
}

/** The Secret's labels; null when it does not exist. */
async function readLabels(kube: KubePorts, namespace: string, name: string): Promise<Record<string, string> | null | "forbidden"> {
  let secret: V1Secret;
  try {
    secret = await kubeCall(kube.metrics, "get", "secrets", () =>
      kube.core.readNamespacedSecret({ name, namespace }, setHeaderOptions("Accept", METADATA_ONLY)),
    );
  } catch (err) {
    if (isNotFound(err)) return null;
    if (kubeStatus(err) === 403) return "forbidden";
    throw kubeError(`read the labels of Secret ${namespace}/${name}`, err);
  }
  return secret.metadata?.labels ?? {};
}
