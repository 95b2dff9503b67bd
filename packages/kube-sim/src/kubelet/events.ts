/** Warning events the kubelet records on a pod (shown by `kubectl describe pod`). */
import { randomBytes } from "node:crypto";
import type { KObject, Pod } from "../kinds.js";
import { timestamp } from "../machinery/objects.js";

export function podEvent(pod: Pod, reason: string, message: string, node: string): KObject {
  const now = timestamp();
  const namespace = pod.metadata.namespace ?? "";
  return {
    apiVersion: "v1",
    kind: "Event",
    metadata: { name: `${pod.metadata.name ?? "pod"}.${randomBytes(8).toString("hex")}`, namespace },
    involvedObject: { apiVersion: "v1", kind: "Pod", namespace, name: pod.metadata.name, uid: pod.metadata.uid },
    reason,
    message,
    type: "Warning",
    source: { component: "kubelet", host: node },
    reportingComponent: "kubelet",
    reportingInstance: node,
    firstTimestamp: now,
    lastTimestamp: now,
    count: 1,
  };
}
