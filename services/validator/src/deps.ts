import type { CoreV1Api, DiscoveryV1Api } from "@kubernetes/client-node";
import type { Config } from "@baton/runtime";

/** What the validator works with (made once by the service module). */
export interface ValidatorDeps {
  readonly core: CoreV1Api;
  /** EndpointSlices: validation starts once the preview Service really sends traffic to v2. */
  readonly discovery: DiscoveryV1Api;
  readonly config: Pick<
    Config,
    "BATON_SERVICE_ADDRESS" | "BATON_CLUSTER_DOMAIN" | "BATON_PROMETHEUS_ADDRESS" | "BATON_WEBHOOK_ALLOWED_HOSTS" | "BATON_SECRET_BINDINGS"
  >;
}
