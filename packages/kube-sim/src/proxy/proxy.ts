/**
 * The kube-proxy of a kube-sim node, against any API server through its HTTP API: follows
 * Services and discovery.k8s.io/v1 EndpointSlices (as kube-proxy does; v1 Endpoints are not
 * read), gives every proxied Service a Forwarder on a loopback port, balancing over the ready
 * endpoints of the Service's first port, and publishes that address on the Service (address.ts).
 */
import { isStatus, type ApiClient } from "../client/rest.js";
import { Informer, keyOf } from "../client/informer.js";
import { WorkQueue } from "../controllers/queue.js";
import type { EndpointSlice, KObject, Service } from "../kinds.js";
import { annotationPatch, isProxied, statusPatch } from "./address.js";
import { Forwarder, type Endpoint } from "./forwarder.js";

const SERVICE_NAME_LABEL = "kubernetes.io/service-name";
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
  }

  async close(): Promise<void> {
    this.#closed = true;
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

  /** Writes the address onto the Service (annotation; LoadBalancer status) when it is not there yet. */
  async #publish(svc: Service, port: number): Promise<void> {
    const path = `/api/v1/namespaces/${encodeURIComponent(svc.metadata.namespace ?? "")}/services/${encodeURIComponent(svc.metadata.name ?? "")}`;
    const patches: [string, object | undefined][] = [
      [path, annotationPatch(svc, this.#o.host, port)],
      [`${path}/status`, statusPatch(svc, this.#o.host, port)],
    ];
    for (const [target, body] of patches) {
      if (!body) continue;
      // The uid precondition: never publish onto a Service that replaced this one meanwhile.
      const guarded = { ...body, metadata: { ...(body as { metadata?: object }).metadata, uid: svc.metadata.uid } };
      try {
        this.#services.observe(await this.#o.client.request<KObject>("PATCH", target, { body: guarded, contentType: MERGE }));
      } catch (err) {
        if (isStatus(err, 404, 409, 422)) return this.#o.log(`kube-proxy: service ${keyOf(svc)}: address not published: ${(err as Error).message}`);
        throw err;
      }
    }
  }
}
