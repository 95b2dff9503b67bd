/**
 * The node's life in the API, as a kubelet keeps it: registers the Node (or takes over the one of
 * that name, refreshing its labels and status), renews its Lease in kube-node-lease every 10 s
 * (the node lifecycle controller marks a node whose lease is older than 40 s NotReady and taints
 * it), re-posts its status every minute, and on shutdown reports Ready=False ("node is shutting
 * down") so no pod is scheduled to it and its pods leave the Services' endpoints at once.
 */
import { isStatus, type ApiClient } from "../client/rest.js";
import type { Condition, KObject } from "../kinds.js";
import { LEASE_NAMESPACE, leaseObject, microTime, nodeLabels, nodeObject, nodeStatus, type NodeIdentity } from "./node-object.js";

const STATUS_REPORT_MS = 60_000;
const RETRY_MS = 1_000;
const SHUTDOWN_REPORT_TIMEOUT_MS = 2_000;
const STRATEGIC = "application/strategic-merge-patch+json";
const MERGE = "application/merge-patch+json";

export interface HeartbeatOptions {
  readonly client: ApiClient;
  readonly id: NodeIdentity;
  readonly log: (line: string) => void;
}

/** The node could not register with the API server. */
export class NodeRegistrationError extends Error {
  override readonly name = "NodeRegistrationError";
}

export class Heartbeat {
  readonly #o: HeartbeatOptions;
  readonly #nodePath: string;
  readonly #leasePath: string;
  #node: KObject | undefined;
  #lease: KObject | undefined;
  #leaseTimer: NodeJS.Timeout | undefined;
  #statusTimer: NodeJS.Timeout | undefined;
  #stopped = false;

  /** A kubelet renews its Lease every quarter of the Lease's duration (10 s of the default 40). */
  get #renewMs(): number {
    return (this.#o.id.leaseDurationSeconds * 1000) / 4;
  }

  constructor(options: HeartbeatOptions) {
    this.#o = options;
    const name = encodeURIComponent(options.id.name);
    this.#nodePath = `/api/v1/nodes/${name}`;
    this.#leasePath = `/apis/coordination.k8s.io/v1/namespaces/${LEASE_NAMESPACE}/leases/${name}`;
  }

  /** Registers the Node and takes its Lease; rejects with NodeRegistrationError naming the failed step. */
  async register(): Promise<void> {
    try {
      this.#node = await this.#o.client.request<KObject>("POST", "/api/v1/nodes", { body: nodeObject(this.#o.id) });
    } catch (err) {
      if (!isStatus(err, 409)) throw new NodeRegistrationError(`node ${this.#o.id.name}: cannot register: ${(err as Error).message}`, { cause: err });
      await this.#takeOver();
    }
    try {
      await this.#renewLease();
    } catch (err) {
      throw new NodeRegistrationError(`node ${this.#o.id.name}: cannot take its Lease in ${LEASE_NAMESPACE}: ${(err as Error).message}`, { cause: err });
    }
  }

  /** A Node of this name exists (a restart): our labels and a fresh status on it. */
  async #takeOver(): Promise<void> {
    try {
      await this.#o.client.request("PATCH", this.#nodePath, { body: { metadata: { labels: nodeLabels(this.#o.id.name) } }, contentType: MERGE });
      await this.#postStatus(true);
    } catch (err) {
      throw new NodeRegistrationError(`node ${this.#o.id.name}: exists, and cannot be taken over: ${(err as Error).message}`, { cause: err });
    }
  }

  /** Starts the lease renewals and status reports. */
  start(): void {
    this.#scheduleLease(this.#renewMs);
    this.#statusTimer = setInterval(() => void this.#postStatus(true).catch((err: unknown) => this.#o.log(`node: status report failed: ${String(err)}`)), STATUS_REPORT_MS);
    this.#statusTimer.unref();
  }

  #scheduleLease(ms: number): void {
    if (this.#stopped) return;
    this.#leaseTimer = setTimeout(() => {
      this.#renewLease().then(
        () => this.#scheduleLease(this.#renewMs),
        (err: unknown) => {
          this.#o.log(`node: lease renewal failed: ${String(err)}; again in ${RETRY_MS} ms`);
          this.#scheduleLease(RETRY_MS);
        },
      );
    }, ms);
    this.#leaseTimer.unref();
  }

  /** Creates the Lease, or moves its renewTime on (a conflict or a missing Lease re-reads it next time). */
  async #renewLease(): Promise<void> {
    const client = this.#o.client;
    try {
      if (!this.#lease) {
        const found = await client.request<KObject>("GET", this.#leasePath).catch((err: unknown) => {
          if (isStatus(err, 404) && this.#node) return undefined;
          throw err;
        });
        if (!found && this.#node) {
          this.#lease = await client.request<KObject>("POST", `/apis/coordination.k8s.io/v1/namespaces/${LEASE_NAMESPACE}/leases`, { body: leaseObject(this.#node, this.#o.id.leaseDurationSeconds) });
          return;
        }
        this.#lease = found;
      }
      if (!this.#lease) return;
      const spec = { ...(this.#lease.spec as object), holderIdentity: this.#o.id.name, leaseDurationSeconds: this.#o.id.leaseDurationSeconds, renewTime: microTime() };
      this.#lease = await client.request<KObject>("PUT", this.#leasePath, { body: { apiVersion: "coordination.k8s.io/v1", kind: "Lease", ...this.#lease, spec } });
    } catch (err) {
      this.#lease = undefined;
      throw err;
    }
  }

  async #postStatus(ready: boolean, why?: string, timeoutMs?: number): Promise<void> {
    const old = (this.#node?.status as { conditions?: Condition[] } | undefined)?.conditions;
    const status = nodeStatus(this.#o.id, old, ready, why);
    this.#node = await this.#o.client.request<KObject>("PATCH", `${this.#nodePath}/status`, { body: { status }, contentType: STRATEGIC, ...(timeoutMs ? { timeoutMs } : {}) });
  }

  /** Stops renewing; with `report`, tells the API server the node is going (best effort, bounded). */
  async stop(report: boolean): Promise<void> {
    this.#stopped = true;
    if (this.#leaseTimer) clearTimeout(this.#leaseTimer);
    if (this.#statusTimer) clearInterval(this.#statusTimer);
    if (!report) return;
    await this.#postStatus(false, "node is shutting down", SHUTDOWN_REPORT_TIMEOUT_MS).catch((err: unknown) => this.#o.log(`node: cannot report the shutdown: ${String(err)}`));
  }
}
