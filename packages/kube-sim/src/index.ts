/** @baton/kube-sim: a simulated Kubernetes cluster that real clients (client-node, kubectl) can drive. */
export { startKubeSim, KubeSimStartError } from "./sim.js";
export { startNode, NodeStartError, defaultNodeName } from "./node/start-node.js";
export { NodeRegistrationError } from "./node/heartbeat.js";
export { ADDRESS_ANNOTATION } from "./proxy/address.js";
export type { AuditEntry, AuditVerb, KubeSim, KubeSimOptions } from "./types.js";
export type { KubeSimNode, NodeOptions } from "./node/start-node.js";
