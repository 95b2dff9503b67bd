/**
 * The simulated kube-proxy: one Forwarder per Service (keyed by uid), fed with the ready addresses
 * of the Endpoints object of the same name. The port is allocated by an admission hook before a
 * Service's create is committed, so the creator gets the address back in the created object; a
 * Service that arrives without one (created before the proxy started, or through a path without
 * async admission) gets a port right after, written by an update as the simulator.
 */
import { SYSTEM, type Admission, type ApiCore } from "../api/core.js";
import { ApiError } from "../api/errors.js";
import type { ResourceType } from "../api/resources.js";
import type { Endpoints, KObject, Service } from "../kinds.js";
import type { StoreEvent } from "../store/store.js";
import { isProxied, stampAddress } from "./address.js";
import { Forwarder, type Endpoint } from "./forwarder.js";

const SERVICES = "/services";
const ENDPOINTS = "/endpoints";

export interface ProxyOptions {
  readonly host: string;
  readonly log: (line: string) => void;
}

/** The ready endpoints of a Service's first port, from its Endpoints object. */
export function readyEndpoints(svc: Service, ep: Endpoints | undefined): Endpoint[] {
  const sp = svc.spec?.ports?.[0];
  if (!sp || !ep) return [];
  const out: Endpoint[] = [];
  for (const subset of ep.subsets ?? []) {
    const ports = subset.ports ?? [];
    const port = sp.name ? ports.find((p) => p.name === sp.name) : (ports.find((p) => !p.name) ?? ports[0]);
    if (!port) continue;
    for (const a of subset.addresses ?? []) out.push({ ip: a.ip, port: port.port });
  }
  return out;
}

export class Proxy {
  readonly #core: ApiCore;
  readonly #opts: ProxyOptions;
  readonly #services: ResourceType;
  readonly #forwarders = new Map<string, Forwarder>();
  readonly #allocating = new Set<string>();
  readonly #admission: Admission;
  #unsubscribe: (() => void) | undefined;
  #closed = false;

  constructor(core: ApiCore, opts: ProxyOptions) {
    this.#core = core;
    this.#opts = opts;
    const rt = core.registry.lookup("", "v1", "services");
    if (!rt) throw new Error("kube-sim proxy: the API serves no v1 services");
    this.#services = rt;
    this.#admission = {
      create: (type, obj) => (type.rkey === SERVICES && isProxied(obj as Service) ? this.#admit(obj) : undefined),
      update: (type, next) => {
        const fw = type.rkey === SERVICES ? this.#forwarders.get(next.metadata.uid ?? "") : undefined;
        if (fw) stampAddress(next, this.#opts.host, fw.port);
      },
      abandon: (type, obj) => {
        if (type.rkey === SERVICES) this.#release(obj.metadata.uid ?? "");
      },
    };
  }

  start(): void {
    this.#core.admissions.push(this.#admission);
    this.#unsubscribe = this.#core.store.subscribe((e) => this.#onEvent(e));
    for (const svc of this.#core.store.iterate(SERVICES)) this.#onService(svc);
  }

  async close(): Promise<void> {
    this.#closed = true;
    const i = this.#core.admissions.indexOf(this.#admission);
    if (i >= 0) this.#core.admissions.splice(i, 1);
    this.#unsubscribe?.();
    const all = [...this.#forwarders.values()];
    this.#forwarders.clear();
    await Promise.all(all.map((f) => f.close()));
  }

  async #admit(obj: KObject): Promise<void> {
    const fw = new Forwarder(`${obj.metadata.namespace ?? ""}/${obj.metadata.name ?? ""}`);
    const port = await fw.listen(this.#opts.host);
    if (this.#closed) return void fw.close();
    this.#forwarders.set(obj.metadata.uid ?? "", fw);
    stampAddress(obj, this.#opts.host, port);
  }

  #release(uid: string): void {
    const fw = this.#forwarders.get(uid);
    this.#forwarders.delete(uid);
    void fw?.close();
  }

  #onEvent(e: StoreEvent): void {
    if (e.rkey === SERVICES) {
      if (e.type === "DELETED") this.#release(e.object.metadata.uid ?? "");
      else this.#onService(e.object);
    } else if (e.rkey === ENDPOINTS) {
      this.#refresh(e.object.metadata.namespace ?? "", e.object.metadata.name ?? "");
    }
  }

  #onService(svc: KObject): void {
    const uid = svc.metadata.uid ?? "";
    if (this.#forwarders.has(uid)) return this.#refresh(svc.metadata.namespace ?? "", svc.metadata.name ?? "");
    if (isProxied(svc as Service)) this.#allocateLater(svc);
  }

  /** Gives a committed Service without a port one, then writes the address (the update hook stamps it). */
  #allocateLater(svc: KObject): void {
    const uid = svc.metadata.uid ?? "";
    const namespace = svc.metadata.namespace ?? "";
    const name = svc.metadata.name ?? "";
    if (this.#allocating.has(uid)) return;
    this.#allocating.add(uid);
    const fw = new Forwarder(`${namespace}/${name}`);
    fw.listen(this.#opts.host).then(
      () => {
        this.#allocating.delete(uid);
        const current = this.#core.store.get(SERVICES, namespace, name);
        if (this.#closed || current?.metadata.uid !== uid) return void fw.close();
        this.#forwarders.set(uid, fw);
        this.#writeAddress(current);
        this.#refresh(namespace, name);
      },
      (err: unknown) => {
        this.#allocating.delete(uid);
        this.#opts.log(`kube-proxy: service ${namespace}/${name}: cannot listen on ${this.#opts.host}: ${String(err)}`);
      },
    );
  }

  #writeAddress(svc: KObject): void {
    try {
      this.#core.update(this.#services, svc.metadata.namespace ?? "", svc.metadata.name ?? "", svc, SYSTEM);
    } catch (err) {
      if (err instanceof ApiError && err.code === 404) return;
      this.#opts.log(`kube-proxy: service ${svc.metadata.name ?? ""}: cannot write its address: ${String(err)}`);
    }
  }

  #refresh(namespace: string, name: string): void {
    const svc = this.#core.store.get(SERVICES, namespace, name) as Service | undefined;
    const fw = svc ? this.#forwarders.get(svc.metadata.uid ?? "") : undefined;
    if (!svc || !fw) return;
    fw.setEndpoints(readyEndpoints(svc, this.#core.store.get(ENDPOINTS, namespace, name) as Endpoints | undefined));
  }
}
