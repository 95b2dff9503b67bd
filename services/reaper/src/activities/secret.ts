import { secretBindingProblem, type SecretKeyRef } from "@baton/contracts";
import { isNotFound, kubeCall, kubeStatus, type Metrics } from "@baton/runtime";
import type { ReaperDeps } from "../deps.js";
import { ActivityFailure } from "./failure.js";

/**
 * One value of a Secret in the release's namespace (data is base64; stringData read as written),
 * used only when the Secret is bound to the release's app — label `baton.dev/app: <app>`, or
 * BATON_SECRET_BINDINGS. The planner checked that before anything was created; this is checked
 * again on the Secret just read, since a label can change in between (issue 22: the reaper reads
 * Secrets for any app of the namespace, so it must not read one for an app it does not belong to).
 */
export async function readSecretValue(
  deps: Pick<ReaperDeps, "core" | "secretBindings">,
  metrics: Metrics,
  release: { readonly namespace: string; readonly app: string },
  ref: SecretKeyRef,
): Promise<string> {
  const { namespace } = release;
  const where = `Secret ${namespace}/${ref.name}`;
  let secret;
  try {
    secret = await kubeCall(metrics, "get", "secrets", () => deps.core.readNamespacedSecret({ name: ref.name, namespace }));
  } catch (err) {
    if (isNotFound(err)) throw new ActivityFailure(`${where} not found`, false);
    const code = kubeStatus(err);
    const retryable = code === undefined || code >= 500 || [408, 409, 429].includes(code);
    throw new ActivityFailure(`cannot read ${where}: ${code === undefined ? "API unreachable" : `HTTP ${code}`}`, retryable);
  }
  const unbound = secretBindingProblem(ref.name, release, secret.metadata?.labels ?? {}, deps.secretBindings);
  if (unbound !== undefined) throw new ActivityFailure(unbound, false);
  const encoded = secret.data?.[ref.key];
  if (encoded !== undefined) return Buffer.from(encoded, "base64").toString("utf8");
  const plain = secret.stringData?.[ref.key];
  if (plain !== undefined) return plain;
  const keys = Object.keys({ ...secret.data, ...secret.stringData });
  throw new ActivityFailure(`${where} has no key "${ref.key}" (keys: ${keys.join(", ") || "none"})`, false);
}
