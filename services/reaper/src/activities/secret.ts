import type { SecretKeyRef } from "@baton/contracts";
import { isNotFound, kubeCall, kubeStatus, type Metrics } from "@baton/runtime";
import type { ReaperDeps } from "../deps.js";
import { ActivityFailure } from "./failure.js";

/** One value of a Secret in the release's namespace (data is base64; stringData read as written). */
export async function readSecretValue(deps: ReaperDeps, metrics: Metrics, namespace: string, ref: SecretKeyRef): Promise<string> {
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
  const encoded = secret.data?.[ref.key];
  if (encoded !== undefined) return Buffer.from(encoded, "base64").toString("utf8");
  const plain = secret.stringData?.[ref.key];
  if (plain !== undefined) return plain;
  const keys = Object.keys({ ...secret.data, ...secret.stringData });
  throw new ActivityFailure(`${where} has no key "${ref.key}" (keys: ${keys.join(", ") || "none"})`, false);
}
