/** The kubeconfig of a simulator: one cluster, context and user, all named "kube-sim". */

/** The dummy bearer token of the kubeconfig; kube-sim records it as the user in the audit. */
export const KUBECONFIG_TOKEN = "kube-sim-admin";

export function kubeconfigYaml(url: string, namespace = "default", token = KUBECONFIG_TOKEN): string {
  return [
    "apiVersion: v1",
    "kind: Config",
    "clusters:",
    "- name: kube-sim",
    "  cluster:",
    `    server: ${url}`,
    // client-node 1.x refuses a plain-HTTP server unless TLS verification is marked as skipped.
    "    insecure-skip-tls-verify: true",
    "contexts:",
    "- name: kube-sim",
    "  context:",
    "    cluster: kube-sim",
    "    user: kube-sim",
    `    namespace: ${namespace}`,
    "current-context: kube-sim",
    "preferences: {}",
    "users:",
    "- name: kube-sim",
    "  user:",
    `    token: ${token}`,
    "",
  ].join("\n");
}
