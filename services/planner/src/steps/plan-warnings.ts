import type { V1PodTemplateSpec } from "@kubernetes/client-node";
import { noReadinessProbe, type ReleaseState, type Warning } from "@baton/contracts";
import { podTemplateFor, servingContainer } from "@baton/runtime";

type Spec = NonNullable<ReleaseState["spec"]>;

/**
 * What the plan warns about, read from the pod template the pod-manager will create: v1's template
 * with the request merged over it (or the request's alone when nothing is live), the same function
 * the pod-manager calls. So a later release warns too when neither v1's template nor the request
 * gives the container serving `port` a readinessProbe, and does not when v1's template has one.
 */
export function planWarnings(spec: Spec, revision: number, liveTemplate: V1PodTemplateSpec | null): Warning[] {
  const template = podTemplateFor(spec, revision, liveTemplate);
  const serving = servingContainer(template, spec.port);
  if (serving === undefined || hasProbe(serving.readinessProbe)) return [];
  return [noReadinessProbe(serving.name, spec.port)];
}

/** A probe of any kind (httpGet, tcpSocket, exec, grpc); `readinessProbe: null` in a request removes v1's. */
function hasProbe(probe: unknown): boolean {
  return typeof probe === "object" && probe !== null;
}
