/**
 * The write and read semantics of the API server, shared by HTTP clients and the simulator's own
 * controllers: identity checks, defaults, validation, optimistic concurrency, generation,
 * status subresources, no-op updates, finalizers.
 */
import { randomUUID } from "node:crypto";
import type { KObject } from "../kinds.js";
import { clone, deepEqual, isPlainObject, randomSuffix, timestamp } from "../machinery/objects.js";
import { matchesFields, matchesLabels, type FieldRequirement, type Requirement } from "../machinery/selectors.js";
import { metaErrors } from "../machinery/validation.js";
import { normalizeObject } from "../protobuf/index.js";
import { AuditLog, SYSTEM_USER } from "../store/audit.js";
import type { Store } from "../store/store.js";
import type { AuditVerb } from "../types.js";
import { alreadyExists, badRequest, conflict, forbidden, invalid, notFound, type FieldError } from "./errors.js";
import { checkFields, type FieldCheck } from "./fields.js";
import { applyPatch } from "./patch.js";
import type { ResourceRegistry, ResourceType } from "./resources.js";

export interface WriteContext extends FieldCheck {
  user: string;
  dryRun?: boolean;
  /** A write of kube-sim's own controllers, made in-process (HTTP writes are audited by their handler). */
  internal?: boolean;
}

export const SYSTEM: WriteContext = { user: SYSTEM_USER, internal: true };

const NAMESPACES = { group: "", resource: "namespaces" };

export class ApiCore {
  constructor(
    readonly store: Store,
    readonly registry: ResourceRegistry,
    readonly auditLog: AuditLog,
  ) {}

  /** The object as a client of `rt`'s version sees it (custom resources change apiVersion only). */
  toRead(rt: ResourceType, obj: KObject): KObject {
    if (rt.view) return rt.view.read(obj);
    return obj.apiVersion === rt.apiVersion ? obj : { ...obj, apiVersion: rt.apiVersion };
  }

  find(rt: ResourceType, namespace: string, name: string): KObject | undefined {
    return this.store.get(rt.rkey, rt.namespaced ? namespace : "", name);
  }

  get(rt: ResourceType, namespace: string, name: string): KObject {
    const obj = this.find(rt, namespace, name);
    if (!obj) throw notFound(rt, name);
    return this.toRead(rt, obj);
  }

  list(rt: ResourceType, namespace: string | undefined, labels: Requirement[] = [], fields: FieldRequirement[] = []): KObject[] {
    const all = this.store.list(rt.rkey, rt.namespaced ? namespace || undefined : undefined);
    return all.filter((o) => matchesLabels(labels, o.metadata.labels) && matchesFields(fields, o)).map((o) => this.toRead(rt, o));
  }

  recordSystem(verb: AuditVerb, rt: ResourceType, obj: KObject, ctx: WriteContext, subresource?: string): void {
    if (!ctx.internal) return;
    const entry = { verb, group: rt.group, version: rt.version, resource: rt.resource, name: obj.metadata.name ?? "", user: SYSTEM_USER, code: 200 };
    this.auditLog.record({ ...entry, ...(obj.metadata.namespace ? { namespace: obj.metadata.namespace } : {}), ...(subresource ? { subresource } : {}) });
  }

  #checkBody(rt: ResourceType, body: unknown, namespace: string, ctx: WriteContext): KObject {
    if (!isPlainObject(body)) throw badRequest(`the body of the request could not be decoded as a ${rt.kind}`);
    const obj = clone(body) as KObject;
    if (obj.metadata === undefined || obj.metadata === null) obj.metadata = {};
    if (!isPlainObject(obj.metadata)) throw badRequest(`${rt.kind} in version "${rt.version}" cannot be handled as a ${rt.kind}: metadata must be an object`);
    if (obj.apiVersion !== undefined && obj.apiVersion !== rt.apiVersion) {
      throw badRequest(`the API version in the data (${String(obj.apiVersion)}) does not match the expected API version (${rt.apiVersion})`);
    }
    if (obj.kind !== undefined && obj.kind !== rt.kind) throw badRequest(`the kind in the data (${String(obj.kind)}) does not match the expected kind (${rt.kind})`);
    const ns = obj.metadata.namespace;
    if (rt.namespaced && ns && ns !== namespace) {
      throw badRequest("the namespace of the provided object does not match the namespace sent on the request");
    }
    if (rt.namespaced) obj.metadata.namespace = namespace;
    else delete obj.metadata.namespace;
    obj.apiVersion = rt.storageApiVersion;
    obj.kind = rt.kind;
    checkFields(rt, obj, ctx);
    return rt.view ? rt.view.write(obj) : obj;
  }

  #checkNamespace(rt: ResourceType, namespace: string): void {
    if (!rt.namespaced) return;
    const ns = this.store.get("/namespaces", "", namespace);
    if (!ns) throw notFound(NAMESPACES, namespace);
    if (ns.metadata.deletionTimestamp) {
      throw forbidden(rt, "", `unable to create new content in namespace ${namespace} because it is being terminated`);
    }
  }

  #validate(rt: ResourceType, obj: KObject, old: KObject | undefined): void {
    const errors: FieldError[] = [...metaErrors(obj.metadata, rt.strategy.nameRule), ...(rt.strategy.validate?.(obj, old) ?? [])];
    if (old?.metadata.deletionTimestamp) {
      const added = (obj.metadata.finalizers ?? []).filter((f) => !(old.metadata.finalizers ?? []).includes(f));
      if (added.length > 0) errors.push({ type: "Forbidden", field: "metadata.finalizers", detail: "no new finalizers can be added if the object is being deleted" });
    }
    if (errors.length > 0) throw invalid(rt.kind, rt.group, obj.metadata.name ?? obj.metadata.generateName ?? "", errors);
  }

  #prepareCreate(rt: ResourceType, namespace: string, body: unknown, ctx: WriteContext): KObject {
    const obj = this.#checkBody(rt, body, namespace, ctx);
    this.#checkNamespace(rt, namespace);
    const meta = obj.metadata;
    if (!meta.name && meta.generateName) meta.name = `${meta.generateName.slice(0, 58)}${randomSuffix()}`;
    for (const key of ["uid", "resourceVersion", "deletionTimestamp", "deletionGracePeriodSeconds", "managedFields", "selfLink"]) delete meta[key];
    meta.uid = randomUUID();
    meta.creationTimestamp = timestamp();
    if (rt.generation !== "none") meta.generation = 1;
    else delete meta.generation;
    rt.strategy.normalize?.(obj);
    rt.strategy.defaults?.(obj);
    if (rt.hasStatus) {
      const status = rt.strategy.initialStatus?.(obj);
      if (status === undefined) delete obj.status;
      else obj.status = status;
    }
    normalizeObject(rt.storageApiVersion, rt.kind, obj);
    this.#validate(rt, obj, undefined);
    if (this.find(rt, namespace, meta.name ?? "")) throw alreadyExists(rt, meta.name ?? "");
    return obj;
  }

  #commitCreate(rt: ResourceType, obj: KObject, ctx: WriteContext): KObject {
    if (this.find(rt, obj.metadata.namespace ?? "", obj.metadata.name ?? "")) throw alreadyExists(rt, obj.metadata.name ?? "");
    if (ctx.dryRun) return this.toRead(rt, obj);
    const stored = this.store.commit("ADDED", rt.rkey, obj);
    this.recordSystem("create", rt, stored, ctx);
    return this.toRead(rt, stored);
  }

  /** Creates an object. */
  create(rt: ResourceType, namespace: string, body: unknown, ctx: WriteContext): KObject {
    return this.#commitCreate(rt, this.#prepareCreate(rt, namespace, body, ctx), ctx);
  }

  #mainUpdate(rt: ResourceType, old: KObject, obj: KObject): KObject {
    const meta: Record<string, unknown> = obj.metadata;
    const before: Record<string, unknown> = old.metadata;
    for (const key of ["uid", "creationTimestamp", "deletionTimestamp", "deletionGracePeriodSeconds", "generation"]) {
      if (before[key] === undefined) delete meta[key];
      else meta[key] = before[key];
    }
    delete meta.managedFields;
    if (rt.hasStatus) {
      if (old.status === undefined) delete obj.status;
      else obj.status = old.status;
    }
    rt.strategy.normalize?.(obj);
    rt.strategy.prepareUpdate?.(obj, old);
    rt.strategy.defaults?.(obj);
    this.#validate(rt, obj, old);
    return obj;
  }

  #statusUpdate(rt: ResourceType, old: KObject, obj: KObject): KObject {
    const next: KObject = { ...old, metadata: { ...old.metadata } };
    if (obj.status === undefined) delete next.status;
    else next.status = obj.status;
    const errors = rt.strategy.validateStatus?.(next, old) ?? [];
    if (errors.length > 0) throw invalid(rt.kind, rt.group, old.metadata.name ?? "", errors);
    return next;
  }

  #bumpGeneration(rt: ResourceType, next: KObject, old: KObject): void {
    if (rt.generation === "none") return;
    const changed = Object.keys({ ...next, ...old }).some((key) => {
      if (key === "metadata" || key === "apiVersion" || key === "kind") return false;
      if (key === "status" && rt.generation === "spec") return false;
      return !deepEqual(next[key], old[key]);
    });
    next.metadata.generation = (old.metadata.generation ?? 1) + (changed ? 1 : 0);
  }

  /** Replaces an object (PUT), or its status with `subresource` "status". */
  update(rt: ResourceType, namespace: string, name: string, body: unknown, ctx: WriteContext, subresource?: string): KObject {
    const old = this.find(rt, namespace, name);
    if (!old) throw notFound(rt, name);
    const obj = this.#checkBody(rt, body, namespace, ctx);
    if (obj.metadata.name !== undefined && obj.metadata.name !== name) {
      throw badRequest(`the name of the object (${String(obj.metadata.name)}) does not match the name on the URL (${name})`);
    }
    obj.metadata.name = name;
    const rv = obj.metadata.resourceVersion;
    if (rv !== undefined && rv !== "" && rv !== old.metadata.resourceVersion) throw conflict(rt, name);
    const uid = obj.metadata.uid;
    if (typeof uid === "string" && uid !== "" && uid !== old.metadata.uid) {
      throw conflict(rt, name, `Precondition failed: UID in precondition: ${uid}, UID in object meta: ${old.metadata.uid ?? ""}`);
    }
    const next = subresource === "status" ? this.#statusUpdate(rt, old, obj) : this.#mainUpdate(rt, old, obj);
    normalizeObject(rt.storageApiVersion, rt.kind, next);
    this.#bumpGeneration(rt, next, old);
    next.metadata.resourceVersion = old.metadata.resourceVersion;
    if (deepEqual(next, old)) return this.toRead(rt, old);
    if (ctx.dryRun) return this.toRead(rt, next);
    return this.#commitUpdate(rt, next, old, ctx, subresource);
  }

  #commitUpdate(rt: ResourceType, next: KObject, old: KObject, ctx: WriteContext, subresource?: string): KObject {
    const specFinalizers = rt.rkey === "/namespaces" ? ((next.spec as { finalizers?: string[] } | undefined)?.finalizers?.length ?? 0) : 0;
    const finished = next.metadata.deletionTimestamp && (next.metadata.finalizers?.length ?? 0) === 0 && specFinalizers === 0 && !next.metadata.deletionGracePeriodSeconds;
    const stored = this.store.commit(finished ? "DELETED" : "MODIFIED", rt.rkey, next, old);
    this.recordSystem("update", rt, stored, ctx, subresource);
    return this.toRead(rt, stored);
  }

  /** Patches an object (or its status) with one of the patch types. */
  patch(rt: ResourceType, namespace: string, name: string, patchType: string, patch: unknown, ctx: WriteContext, subresource?: string): KObject {
    const old = this.find(rt, namespace, name);
    if (!old) throw notFound(rt, name);
    const patched = applyPatch(this.toRead(rt, old), patchType, patch, rt.kind);
    return this.update(rt, namespace, name, patched, { ...ctx, patch: true }, subresource);
  }

  /** Commits a change made by the simulator itself to a copy of a stored object. */
  commitInternal(rt: ResourceType, next: KObject, old: KObject, subresource?: string): KObject {
    normalizeObject(rt.storageApiVersion, rt.kind, next);
    next.metadata.resourceVersion = old.metadata.resourceVersion;
    if (deepEqual(next, old)) return old;
    return this.#commitUpdate(rt, next, old, SYSTEM, subresource);
  }
}
