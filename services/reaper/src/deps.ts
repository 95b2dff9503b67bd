import type { AppsV1Api, CoreV1Api } from "@kubernetes/client-node";
import type { HostAllowList, SecretBinding } from "@baton/contracts";

// What the reaper's steps work with: the Kubernetes API (v1's Deployment and pods, the Secrets of
// the post-release activities) and an HTTP client for webhooks. Built once by the service module.

export interface ReaperDeps {
  readonly apps: AppsV1Api;
  readonly core: CoreV1Api;
  /** The HTTP client of the webhooks (the global fetch in production). */
  readonly fetch: typeof fetch;
  /** Hosts webhooks may call (BATON_WEBHOOK_ALLOWED_HOSTS), checked again when one is called. */
  readonly webhookHosts: HostAllowList;
  /** Secrets granted to apps beyond their `baton.dev/app` label (BATON_SECRET_BINDINGS), checked again when one is read. */
  readonly secretBindings: readonly SecretBinding[];
}
