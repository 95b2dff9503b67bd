/** Options of {@link startKubeSim}. Every field is optional; defaults are in `DEFAULTS` (sim.ts). */
export interface KubeSimOptions {
  /** Address the API server listens on. Default "127.0.0.1". */
  host?: string;
  /** Port of the API server. Default 0 (a random free port). */
  port?: number;
  /**
   * How often the kubelet runs readiness probes, in ms. The kubelet uses
   * min(periodSeconds * 1000, probeIntervalMs): a documented departure from a real kubelet,
   * which keeps tests fast. Default 100.
   */
  probeIntervalMs?: number;
  /** How many write events the watch history keeps for `resourceVersion` resume. Default 10,000. */
  watchHistorySize?: number;
  /** How often a watch with `allowWatchBookmarks=true` gets a BOOKMARK, in ms. Default 1,000. */
  bookmarkIntervalMs?: number;
  /** How long an Event is kept after it was last seen (the API server's --event-ttl). Default 3,600,000 (1 h). */
  eventTtlMs?: number;
  /** Receives one line per notable event (start, stop, errors). Default: silent. */
  logger?: (line: string) => void;
}

/** A running simulator. */
export interface KubeSim {
  /** Base URL of the API server, e.g. http://127.0.0.1:43121 */
  readonly url: string;
  /** A kubeconfig (YAML) for this simulator: cluster, context and user are all named "kube-sim". */
  kubeconfig(): string;
  /** Writes {@link KubeSim.kubeconfig} to `path` (mode 0600). */
  writeKubeconfig(path: string): Promise<void>;
  /** Every API write so far, in order (a copy). */
  audit(): AuditEntry[];
  /** Stops the API server, every pod workload and every service proxy. */
  close(): Promise<void>;
}

export type AuditVerb = "create" | "update" | "patch" | "delete" | "deletecollection";

/**
 * One API write. Writes made by the simulator's own controllers (deployment, replicaset,
 * scheduler, endpoints, garbage collector …) and by its own node (kubelet, kube-proxy, which write
 * over HTTP with the token `system:kube-sim`) carry `user: "system:kube-sim"` and no body, so a
 * test can count the writes of its clients alone.
 */
export interface AuditEntry {
  seq: number;
  time: string;
  verb: AuditVerb;
  group: string;
  version: string;
  resource: string;
  subresource?: string;
  namespace?: string;
  name?: string;
  patchType?: string;
  body?: unknown;
  user?: string;
  /** HTTP status code of the answer (failed writes are recorded too). */
  code?: number;
  /** Present when the request asked for `dryRun=All`. */
  dryRun?: boolean;
}
