/** @baton/kube-sim: a simulated Kubernetes cluster that real clients (client-node, kubectl) can drive. */
export { startKubeSim, KubeSimStartError } from "./sim.js";
export type { AuditEntry, AuditVerb, KubeSim, KubeSimOptions } from "./types.js";
