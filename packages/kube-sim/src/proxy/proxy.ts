/**
 * The kube-proxy of a kube-sim node, against any API server through its HTTP API: follows
 * Services and discovery.k8s.io/v1 EndpointSlices (as kube-proxy does; v1 Endpoints are not
 * read) and gives every proxied Service Forwarders that balance over the ready endpoints of a port.
 * Two modes:
 * - `loopback` (kube-sim's own node): the Service's first port gets a random port on the proxy
 *   host, published on the Service (address.ts), since nothing routes ClusterIPs here;
 * - `cluster-ip` (a node joined to a real cluster): every port of the Service listens on its own
 *   ClusterIP:port, as kube-proxy makes ClusterIPs reachable; the Service range must be local to
 *   the machine. Nothing is written to the API.
 */
import { connect } from "node:net";
import { isStatus, type ApiClient } from "../client/rest.js";
import { Informer, keyOf } from "../client/informer.js";
import { WorkQueue } from "../controllers/queue.js";
import type { EndpointSlice, KObject, Service, ServicePort } from "../kinds.js";
import { isProxied, publications } from "./address.js";
import { Forwarder, type Endpoint } from "./forwarder.js";

const SERVICE_NAME_LABEL = "kubernetes.io/service-name";
const MERGE = "application/merge-patch+json";
/** Every Service is looked at again this often (an address another node published may have died; a bind may work now). */
const RESYNC_MS = 30_000;

export type ServiceProxyMode = "loopback" | "cluster-ip";

export interface ProxyOptions {
  readonly client: ApiClient;
  readonly mode: ServiceProxyMode;
  /** loopback mode: where Service ports listen and what is published. */
  readonly host: string;
  readonly log: (line: string) => void;
}

/**
 * The endpoints of one Service port, from the Service's slices, as kube-proxy picks them: the
 * ready ones (`conditions.ready` unset counts as ready); when none is ready, the serving ones that
 * are terminating (so a Service whose pods are all draining still answers). Sorted, duplicates once.
 */
export function sliceEndpoints(sp: ServicePort, slices: readonly EndpointSlice[]): Endpoint[] {
  const ready = new Map<string, Endpoint>();
  const terminating = new Map<string, Endpoint>();
  for (const slice of slices) {
    if (slice.addressType !== "IPv4" && slice.addressType !== "IPv6") continue;
    const port = (slice.ports ?? []).find((p) => (p.name ?? "") === (sp.name ?? ""))?.port;
    if (port === undefined) continue;
    for (const ep of slice.endpoints ?? []) {
      const ip = ep.addresses?.[0];
      if (!ip) continue;
      const c = ep.conditions ?? {};
      const target = c.ready !== false ? ready : c.serving !== false && c.terminating === true ? terminating : undefined;
      target?.set(`${ip}:${port}`, { ip, port });
    }
  }
  const chosen = ready.size > 0 ? ready : terminating;
  return [...chosen.values()].sort((a, b) => (a.ip < b.ip ? -1 : a.ip > b.ip ? 1 : a.port - b.port));
}

/** The Forwarders of one Service (one uid), by port (`<name>/<port>`). */
interface Entry {
  readonly uid: string;
  readonly ports: Map<string, Forwarder>;
}

export class Proxy {
  readonly #o: ProxyOptions;
  readonly #services: Informer;
  readonly #slices: Informer;
  readonly #queue: WorkQueue;
  readonly #entries = new Map<string, Entry>();
  /** Ports that could not be bound (logged once each). */
  readonly #unbound = new Set<string>();
  #resync: NodeJS.Timeout | undefined;
  #closed = false;

  constructor(options: ProxyOptions) {
    this.#o = options;
    this.#queue = new WorkQueue("kube-proxy", (key) => this.#sync(key), options.log);
    const base = { client: options.client, log: options.log };
    this.#services = new Informer({ ...base, path: "/api/v1/services", apiVersion: "v1", kind: "Service", onChange: (_t, svc) => this.#queue.add(keyOf(svc)) });
    this.#slices = new Informer({
      ...base,
      path: "/apis/discovery.k8s.io/v1/endpointslices",
      apiVersion: "discovery.k8s.io/v1",
      kind: "EndpointSlice",
      labelSelector: SERVICE_NAME_LABEL,
      onChange: (_t, slice) => this.#queue.add(`${slice.metadata.namespace ?? ""}/${slice.metadata.labels?.[SERVICE_NAME_LABEL] ?? ""}`),
    });
  }

  /** Resolves once Services and slices are listed (their ports then open in the background). */
  async start(): Promise<void> {
    await Promise.all([this.#services.start(), this.#slices.start()]);
    this.#resync = setInterval(() => {
      for (const svc of this.#services.values()) this.#queue.add(keyOf(svc));
    }, RESYNC_MS);
    this.#resync.unref();
  }

  /** The ClusterIP of some Service (the API server's own, `kubernetes`, usually): to check the range is local. */
  someClusterIP(): string | undefined {
    for (const svc of this.#services.values()) {
      const ip = (svc as Service).spec?.clusterIP;
      if (ip && ip !== "None") return ip;
    }
    return undefined;
  }

  async close(): Promise<void> {
    this.#closed = true;
    clearInterval(this.#resync);
    this.#services.stop();
    this.#slices.stop();
    this.#queue.stop();
    const all = [...this.#entries.values()].flatMap((e) => [...e.ports.values()]);
    this.#entries.clear();
    await Promise.all(all.map((f) => f.close()));
  }

  #slicesOf(namespace: string, name: string): EndpointSlice[] {
    const out: EndpointSlice[] = [];
    for (const s of this.#slices.values()) if (s.metadata.namespace === namespace && s.metadata.labels?.[SERVICE_NAME_LABEL] === name) out.push(s as EndpointSlice);
    return out;
  }

  /** The ports this proxy serves for `svc`, by key, with the address each listens on. */
  #wanted(svc: Service): Map<string, { sp: ServicePort; host: string; port: number }> {
    const out = new Map<string, { sp: ServicePort; host: string; port: number }>();
    const ports = svc.spec.ports ?? [];
    if (this.#o.mode === "loopback") {
      const first = ports[0];
      if (first) out.set(`${first.name ?? ""}/0`, { sp: first, host: this.#o.host, port: 0 });
      return out;
    }
    const ip = svc.spec.clusterIP;
    if (!ip || ip === "None") return out;
    for (const sp of ports) if ((sp.protocol ?? "TCP") === "TCP") out.set(`${sp.name ?? ""}/${ip}:${sp.port}`, { sp, host: ip, port: sp.port });
    return out;
  }

  async #sync(key: string): Promise<void> {
    const svc = this.#services.get(key) as Service | undefined;
    let entry = this.#entries.get(key);
    if (entry && (!svc || entry.uid !== svc.metadata.uid || !isProxied(svc))) {
      this.#entries.delete(key);
      await Promise.all([...entry.ports.values()].map((f) => f.close()));
      entry = undefined;
    }
    if (!svc || !isProxied(svc) || this.#closed) return;
    if (!entry) this.#entries.set(key, (entry = { uid: svc.metadata.uid ?? "", ports: new Map() }));
    const wanted = this.#wanted(svc);
    for (const [k, fw] of entry.ports) {
      if (wanted.has(k)) continue;
      entry.ports.delete(k);
      await fw.close();
    }
    const slices = this.#slicesOf(svc.metadata.namespace ?? "", svc.metadata.name ?? "");
    for (const [k, want] of wanted) {
      const fw = entry.ports.get(k) ?? (await this.#open(key, k, want.host, want.port));
      if (!fw) continue;
      entry.ports.set(k, fw);
      fw.setEndpoints(sliceEndpoints(want.sp, slices));
    }
    const first = [...entry.ports.values()][0];
    if (this.#o.mode === "loopback" && first) await this.#publish(svc, first.port);
  }

  /** A listening Forwarder, or undefined (logged once) when the address cannot be bound here. */
  async #open(service: string, k: string, host: string, port: number): Promise<Forwarder | undefined> {
    const fw = new Forwarder(`${service}:${k}`);
    try {
      await fw.listen(host, port);
    } catch (err) {
      await fw.close();
      const what = `${service} ${host}:${port}`;
      if (!this.#unbound.has(what)) this.#o.log(`kube-proxy: service ${what}: cannot listen: ${(err as Error).message} (tried again every ${RESYNC_MS / 1000} s)`);
      this.#unbound.add(what);
      return undefined;
    }
    if (this.#closed) return void (await fw.close());
    this.#unbound.delete(`${service} ${host}:${port}`);
    return fw;
  }

  /**
   * Writes the address onto the Service (annotation; LoadBalancer status) where it is missing, or
   * names an address nothing answers on (another node's, gone).
   */
  async #publish(svc: Service, port: number): Promise<void> {
    const path = `/api/v1/namespaces/${encodeURIComponent(svc.metadata.namespace ?? "")}/services/${encodeURIComponent(svc.metadata.name ?? "")}`;
    for (const p of publications(svc, this.#o.host, port)) {
      if (p.current && (await answers(p.current))) continue;
      // Preconditions: the version looked at (another node may have published meanwhile: 409, and
      // the watch brings its address), and the uid (never onto a Service that replaced this one).
      const meta = { uid: svc.metadata.uid, resourceVersion: svc.metadata.resourceVersion };
      const body = { ...p.patch, metadata: { ...(p.patch as { metadata?: object }).metadata, ...meta } };
      try {
        const target = p.subresource ? `${path}/${p.subresource}` : path;
        this.#services.observe(await this.#o.client.request<KObject>("PATCH", target, { body, contentType: MERGE }));
      } catch (err) {
        if (isStatus(err, 409)) return;
        if (isStatus(err, 404, 422)) return this.#o.log(`kube-proxy: service ${keyOf(svc)}: address not published: ${(err as Error).message}`);
        throw err;
      }
    }
  }
}

/** Does something accept TCP connections at `host:port` (within a short wait)? */
function answers(address: string): Promise<boolean> {
  const i = address.lastIndexOf(":");
  const host = address.slice(0, i).replace(/^\[|\]$/g, "");
  const port = Number(address.slice(i + 1));
  return new Promise((resolve) => {
    const socket = connect({ host, port });
    const done = (ok: boolean) => {
      socket.destroy();
      resolve(ok);
    };
    socket.setTimeout(500, () => done(false));
    socket.once("connect", () => done(true));
    socket.once("error", () => done(false));
  });
}
