/**
 * The kube-proxy of a kube-sim node, against any API server through its HTTP API: follows
 * Services and discovery.k8s.io/v1 EndpointSlices (as kube-proxy does; v1 Endpoints are not
 * read), gives every proxied Service a Forwarder on a loopback port, balancing over the ready
 * endpoints of the Service's first port, and publishes that address on the Service (address.ts).
 */
import { connect } from "node:net";
import { isStatus, type ApiClient } from "../client/rest.js";
import { Informer, keyOf } from "../client/informer.js";
import { WorkQueue } from "../controllers/queue.js";
import type { EndpointSlice, KObject, Service } from "../kinds.js";
import { isProxied, publications } from "./address.js";
import { Forwarder, type Endpoint } from "./forwarder.js";

const SERVICE_NAME_LABEL = "kubernetes.io/service-name";
/** Every Service is looked at again this often (an address another node published may have died). */
const RESYNC_MS = 30_000;
const MERGE = "application/merge-patch+json";

export interface ProxyOptions {
  readonly client: ApiClient;
  /** Where Service ports listen and what is published. */
  readonly host: string;
  readonly log: (line: string) => void;
}

/**
 * The endpoints of a Service's first port, from its slices, as kube-proxy picks them: the ready
 * ones (`conditions.ready` unset counts as ready); when none is ready, the serving ones that are
 * terminating (so a Service whose pods are all draining still answers). Sorted, duplicates once.
 */
export function sliceEndpoints(svc: Service, slices: readonly EndpointSlice[]): Endpoint[] {
  const sp = svc.spec?.ports?.[0];
  if (!sp) return [];
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

export class Proxy {
  readonly #o: ProxyOptions;
  readonly #services: Informer;
  readonly #slices: Informer;
  readonly #queue: WorkQueue;
  /** By Service key; each Forwarder serves one Service uid. */
  readonly #forwarders = new Map<string, { uid: string; fw: Forwarder }>();
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

  /** Resolves once Services and slices are listed (their ports then open and are published in the background). */
  async start(): Promise<void> {
    await Promise.all([this.#services.start(), this.#slices.start()]);
    this.#resync = setInterval(() => {
      for (const svc of this.#services.values()) this.#queue.add(keyOf(svc));
    }, RESYNC_MS);
    this.#resync.unref();
  }

  async close(): Promise<void> {
    this.#closed = true;
    clearInterval(this.#resync);
    this.#services.stop();
    this.#slices.stop();
    this.#queue.stop();
    const all = [...this.#forwarders.values()];
    this.#forwarders.clear();
    await Promise.all(all.map((f) => f.fw.close()));
  }

  #slicesOf(namespace: string, name: string): EndpointSlice[] {
    const out: EndpointSlice[] = [];
    for (const s of this.#slices.values()) if (s.metadata.namespace === namespace && s.metadata.labels?.[SERVICE_NAME_LABEL] === name) out.push(s as EndpointSlice);
    return out;
  }

  async #sync(key: string): Promise<void> {
    const svc = this.#services.get(key) as Service | undefined;
    let entry = this.#forwarders.get(key);
    if (entry && (!svc || entry.uid !== svc.metadata.uid || !isProxied(svc))) {
      this.#forwarders.delete(key);
      await entry.fw.close();
      entry = undefined;
    }
    if (!svc || !isProxied(svc) || this.#closed) return;
    if (!entry) {
      const fw = new Forwarder(key);
      await fw.listen(this.#o.host);
      if (this.#closed) return void (await fw.close());
      entry = { uid: svc.metadata.uid ?? "", fw };
      this.#forwarders.set(key, entry);
    }
    entry.fw.setEndpoints(sliceEndpoints(svc, this.#slicesOf(svc.metadata.namespace ?? "", svc.metadata.name ?? "")));
    await this.#publish(svc, entry.fw.port);
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
