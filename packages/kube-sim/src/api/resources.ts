/** The resource types the API serves: built-in kinds, and the custom resources CRDs add. */
import type { Crd, CrdVersion } from "../kinds.js";
import { customResourceStrategy, CRD } from "../strategies/crd.js";
import { POD } from "../strategies/pod.js";
import { serviceStrategy } from "../strategies/service.js";
import { ENDPOINT_SLICE } from "../strategies/endpoint-slice.js";
import { fromEventsV1, toEventsV1 } from "../events/event-view.js";
import type { KObject } from "../kinds.js";
import { CONFIG_MAP, EVENT, EVENT_V1, NAMESPACE, NODE, SECRET, plain } from "../strategies/simple.js";
import { GENERIC, type Strategy } from "../strategies/strategy.js";
import { DEPLOYMENT, REPLICA_SET } from "../strategies/workloads.js";

/** How `metadata.generation` moves: on spec changes, on any non-metadata change, or never (absent). */
export type GenerationRule = "spec" | "nonmeta" | "none";

export interface ResourceType {
  readonly group: string;
  readonly version: string;
  readonly resource: string;
  readonly singular: string;
  readonly kind: string;
  readonly listKind: string;
  readonly namespaced: boolean;
  readonly shortNames: readonly string[];
  readonly categories: readonly string[];
  /** Store key, shared by every version of a resource: `<group>/<plural>`. */
  readonly rkey: string;
  /** `apps/v1`, `v1`. */
  readonly apiVersion: string;
  /** The apiVersion objects are stored in (custom resources: the CRD's storage version). */
  readonly storageApiVersion: string;
  readonly hasStatus: boolean;
  readonly hasScale: boolean;
  readonly generation: GenerationRule;
  /** DELETE answers with the object rather than a `Status` (pods, services, namespaces). */
  readonly returnDeletedObject: boolean;
  readonly isCustom: boolean;
  readonly strategy: Strategy;
  /** A second view of objects stored in another form (events.k8s.io/v1 Events, stored as core/v1 ones). */
  readonly view?: ResourceView;
  /** A custom resource's `additionalPrinterColumns`, printed by `kubectl get` (Table answers). */
  readonly printerColumns?: readonly PrinterColumn[];
}

export interface PrinterColumn {
  readonly name: string;
  readonly type: string;
  readonly jsonPath: string;
  readonly format?: string;
  readonly description?: string;
  readonly priority?: number;
}

/** How a view's objects are read from, and written into, their stored form. */
export interface ResourceView {
  read(stored: KObject): KObject;
  write(obj: KObject): KObject;
}

export const VERBS = ["create", "delete", "deletecollection", "get", "list", "patch", "update", "watch"];

interface Def {
  group: string;
  version: string;
  resource: string;
  kind: string;
  namespaced: boolean;
  shortNames?: string[];
  categories?: string[];
  hasStatus?: boolean;
  hasScale?: boolean;
  generation?: GenerationRule;
  returnDeletedObject?: boolean;
  strategy?: Strategy;
  /** Stored under another resource's key, in that resource's form (with `view`). */
  storedAs?: { rkey: string; apiVersion: string };
  view?: ResourceView;
}

function make(def: Def, isCustom = false, storageVersion = def.version): ResourceType {
  const apiVersion = def.group ? `${def.group}/${def.version}` : def.version;
  return {
    group: def.group,
    version: def.version,
    resource: def.resource,
    singular: def.kind.toLowerCase(),
    kind: def.kind,
    listKind: `${def.kind}List`,
    namespaced: def.namespaced,
    shortNames: def.shortNames ?? [],
    categories: def.categories ?? [],
    rkey: def.storedAs?.rkey ?? `${def.group}/${def.resource}`,
    apiVersion,
    storageApiVersion: def.storedAs?.apiVersion ?? (def.group ? `${def.group}/${storageVersion}` : storageVersion),
    hasStatus: def.hasStatus ?? false,
    hasScale: def.hasScale ?? false,
    generation: def.generation ?? "none",
    returnDeletedObject: def.returnDeletedObject ?? false,
    isCustom,
    strategy: def.strategy ?? GENERIC,
    ...(def.view ? { view: def.view } : {}),
  };
}

function builtins(): ResourceType[] {
  const all = ["all"];
  const defs: Def[] = [
    { group: "", version: "v1", resource: "namespaces", kind: "Namespace", namespaced: false, shortNames: ["ns"], hasStatus: true, returnDeletedObject: true, strategy: NAMESPACE },
    { group: "", version: "v1", resource: "pods", kind: "Pod", namespaced: true, shortNames: ["po"], categories: all, hasStatus: true, returnDeletedObject: true, strategy: POD },
    { group: "", version: "v1", resource: "services", kind: "Service", namespaced: true, shortNames: ["svc"], categories: all, hasStatus: true, returnDeletedObject: true, strategy: serviceStrategy() },
    { group: "", version: "v1", resource: "endpoints", kind: "Endpoints", namespaced: true, shortNames: ["ep"], strategy: plain() },
    { group: "", version: "v1", resource: "secrets", kind: "Secret", namespaced: true, strategy: SECRET },
    { group: "", version: "v1", resource: "configmaps", kind: "ConfigMap", namespaced: true, shortNames: ["cm"], strategy: CONFIG_MAP },
    { group: "", version: "v1", resource: "events", kind: "Event", namespaced: true, shortNames: ["ev"], strategy: EVENT },
    { group: "", version: "v1", resource: "serviceaccounts", kind: "ServiceAccount", namespaced: true, shortNames: ["sa"], strategy: plain() },
    { group: "", version: "v1", resource: "nodes", kind: "Node", namespaced: false, shortNames: ["no"], hasStatus: true, strategy: NODE },
    { group: "apps", version: "v1", resource: "deployments", kind: "Deployment", namespaced: true, shortNames: ["deploy"], categories: all, hasStatus: true, hasScale: true, generation: "spec", strategy: DEPLOYMENT },
    { group: "apps", version: "v1", resource: "replicasets", kind: "ReplicaSet", namespaced: true, shortNames: ["rs"], categories: all, hasStatus: true, hasScale: true, generation: "spec", strategy: REPLICA_SET },
    { group: "discovery.k8s.io", version: "v1", resource: "endpointslices", kind: "EndpointSlice", namespaced: true, generation: "nonmeta", strategy: ENDPOINT_SLICE },
    { group: "coordination.k8s.io", version: "v1", resource: "leases", kind: "Lease", namespaced: true, strategy: plain() },
    {
      group: "events.k8s.io",
      version: "v1",
      resource: "events",
      kind: "Event",
      namespaced: true,
      shortNames: ["ev"],
      strategy: EVENT_V1,
      storedAs: { rkey: "/events", apiVersion: "v1" },
      view: { read: toEventsV1, write: fromEventsV1 },
    },
    { group: "apiextensions.k8s.io", version: "v1", resource: "customresourcedefinitions", kind: "CustomResourceDefinition", namespaced: false, shortNames: ["crd", "crds"], hasStatus: true, generation: "spec", strategy: CRD },
  ];
  return defs.map((d) => make(d));
}

function customTypes(crd: Crd): ResourceType[] {
  const { group, names, scope, versions } = crd.spec;
  const storage = versions.find((v) => v.storage)?.name ?? versions[0]?.name ?? "v1";
  return versions
    .filter((v: CrdVersion) => v.served)
    .map((v) => {
      const hasStatus = v.subresources?.status !== undefined;
      const def: Def = {
        group,
        version: v.name,
        resource: names.plural,
        kind: names.kind,
        namespaced: scope === "Namespaced",
        shortNames: names.shortNames ?? [],
        categories: names.categories ?? [],
        hasStatus,
        generation: hasStatus ? "spec" : "nonmeta",
        strategy: customResourceStrategy(v.schema?.openAPIV3Schema),
      };
      const type = make(def, true, storage);
      const printerColumns = (v.additionalPrinterColumns ?? []) as PrinterColumn[];
      return { ...type, singular: names.singular ?? type.singular, listKind: names.listKind ?? type.listKind, printerColumns };
    });
}

export interface GroupInfo {
  name: string;
  versions: string[];
  preferred: string;
}

export class ResourceRegistry {
  readonly #types = new Map<string, ResourceType>();
  readonly #byCrd = new Map<string, ResourceType[]>();
  /** Order in which groups were first registered (discovery lists them in this order). */
  readonly #groupOrder: string[] = [];

  constructor() {
    for (const t of builtins()) this.#add(t);
  }

  #add(type: ResourceType): void {
    this.#types.set(`${type.group}/${type.version}/${type.resource}`, type);
    if (!this.#groupOrder.includes(type.group)) this.#groupOrder.push(type.group);
  }

  lookup(group: string, version: string, resource: string): ResourceType | undefined {
    return this.#types.get(`${group}/${version}/${resource}`);
  }

  /** The preferred type of a kind in a group (for owner references, which name a kind). */
  byKind(apiVersion: string, kind: string): ResourceType | undefined {
    const group = apiVersion.includes("/") ? apiVersion.slice(0, apiVersion.indexOf("/")) : "";
    for (const t of this.#types.values()) if (t.group === group && t.kind === kind) return t;
    return undefined;
  }

  /** One type per stored resource (each rkey once). */
  storedTypes(): ResourceType[] {
    const seen = new Map<string, ResourceType>();
    for (const t of this.#types.values()) if (!seen.has(t.rkey)) seen.set(t.rkey, t);
    return [...seen.values()];
  }

  groupVersion(group: string, version: string): ResourceType[] {
    return [...this.#types.values()].filter((t) => t.group === group && t.version === version);
  }

  groups(): GroupInfo[] {
    return this.#groupOrder.flatMap((name) => {
      const versions = [...new Set([...this.#types.values()].filter((t) => t.group === name).map((t) => t.version))];
      if (versions.length === 0) return [];
      return [{ name, versions, preferred: versions[0] ?? "" }];
    });
  }

  /** Serves (or re-serves after a change) the versions a CRD defines. */
  registerCrd(crd: Crd): void {
    this.unregisterCrd(crd.metadata.name ?? "");
    const types = customTypes(crd);
    for (const t of types) this.#add(t);
    this.#byCrd.set(crd.metadata.name ?? "", types);
  }

  unregisterCrd(name: string): void {
    for (const t of this.#byCrd.get(name) ?? []) this.#types.delete(`${t.group}/${t.version}/${t.resource}`);
    this.#byCrd.delete(name);
  }
}
