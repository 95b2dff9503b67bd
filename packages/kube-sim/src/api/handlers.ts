/** The REST verbs on a resource route: get, list, watch, create, update, patch, delete. */
import type { IncomingMessage, ServerResponse } from "node:http";
import type { KObject } from "../kinds.js";
import type { AuditVerb } from "../types.js";
import { SYSTEM_USER } from "../store/audit.js";
import { bindPod } from "./binding.js";
import type { ApiCore, WriteContext } from "./core.js";
import { deleteObject, parseDeleteOptions } from "./delete.js";
import { ApiError, badRequest, internalError, invalid, methodNotAllowed, pathNotFound } from "./errors.js";
import { checkListOptions, listItems, listObjects, selectorsOf } from "./list.js";
import { PATCH_TYPES, patchTypeOf } from "./patch.js";
import { servePodLog, type LogContext } from "./pod-log.js";
import { fieldValidationOf } from "./fields.js";
import { encodingFor, requireJson } from "./media.js";
import { flag, readObject, send, sendError, userOf, type ResourceRoute } from "./request.js";
import type { ResourceType } from "./resources.js";
import { patchScale, toScale, updateScale } from "./scale.js";
import { toTable, wantsTable } from "./table.js";
import { WatchStream } from "./watch.js";

export interface HandlerContext {
  core: ApiCore;
  bookmarkIntervalMs: number;
  watches: Set<WatchStream>;
  /** Where pods' logs are read (kube-sim's own node, once it has joined). */
  logs: LogContext;
}

interface Call {
  req: IncomingMessage;
  res: ServerResponse;
  route: ResourceRoute;
  query: URLSearchParams;
  rt: ResourceType;
  ctx: HandlerContext;
  namespace: string;
  name: string;
}

type Result = [code: number, body: unknown];

function checkSubresource(rt: ResourceType, sub: string | undefined): void {
  if (sub === undefined) return;
  const ok =
    (sub === "status" && rt.hasStatus) || (sub === "scale" && rt.hasScale) || (sub === "finalize" && rt.rkey === "/namespaces") || (sub === "binding" && rt.rkey === "/pods") || (sub === "log" && rt.rkey === "/pods");
  if (!ok) throw pathNotFound();
}

function resolve(route: ResourceRoute, ctx: HandlerContext, method: string): ResourceType {
  const rt = ctx.core.registry.lookup(route.group, route.version, route.resource);
  if (!rt) throw pathNotFound();
  if (!rt.namespaced && route.namespace !== undefined) throw pathNotFound();
  if (rt.namespaced && route.namespace === undefined && (route.name !== undefined || method !== "GET")) throw pathNotFound();
  checkSubresource(rt, route.subresource);
  return rt;
}

export async function handleResource(req: IncomingMessage, res: ServerResponse, route: ResourceRoute, query: URLSearchParams, ctx: HandlerContext): Promise<void> {
  const method = req.method ?? "GET";
  const rt = resolve(route, ctx, method);
  if (rt.isCustom) requireJson(res);
  const call: Call = { req, res, route, query, rt, ctx, namespace: route.namespace ?? "", name: route.name ?? "" };
  if (method === "GET" && route.subresource === "log") return servePodLog(res, ctx.core, ctx.logs, call.namespace, call.name, query);
  if (method === "GET") return read(call);
  const verb = verbOf(method, route);
  if (!verb) throw methodNotAllowed();
  await audited(call, verb);
}

function verbOf(method: string, route: ResourceRoute): AuditVerb | undefined {
  const named = route.name !== undefined;
  if (method === "POST" && !named && !route.subresource) return "create";
  if (method === "POST" && named && route.subresource === "binding") return "create";
  if (method === "PUT" && named) return "update";
  if (method === "PATCH" && named) return "patch";
  if (method === "DELETE" && !route.subresource) return named ? "delete" : "deletecollection";
  return undefined;
}

function read(call: Call): void {
  const { req, res, rt, ctx, route, query } = call;
  if (route.subresource === "binding") throw methodNotAllowed();
  const table = wantsTable(req) && route.subresource === undefined;
  const includeObject = query.get("includeObject");
  if (route.name !== undefined) {
    const obj = ctx.core.get(rt, call.namespace, call.name);
    if (table) send(res, 200, toTable(rt, [obj], obj.metadata.resourceVersion ?? "", includeObject));
    else send(res, 200, route.subresource === "scale" ? toScale(obj) : obj);
    return;
  }
  checkListOptions(query, flag(query, "watch"));
  if (flag(query, "watch")) return watch(call, table ? (obj) => toTable(rt, [ctx.core.toRead(rt, obj)], obj.metadata.resourceVersion ?? "", includeObject) : undefined);
  const list = listObjects(ctx.core, rt, route.namespace, query);
  if (!table) return send(res, 200, list);
  const { resourceVersion, ...rest } = list.metadata as { resourceVersion: string };
  send(res, 200, toTable(rt, list.items as KObject[], resourceVersion, includeObject, rest));
}

function watch(call: Call, render?: (obj: KObject) => unknown): void {
  const { res, rt, ctx, query, route } = call;
  const { labels, fields } = selectorsOf(rt, query);
  const timeout = Number(query.get("timeoutSeconds") ?? "0");
  const request = {
    rt,
    namespace: route.namespace,
    labels,
    fields,
    resourceVersion: query.get("resourceVersion"),
    sendInitialEvents: flag(query, "sendInitialEvents"),
    allowBookmarks: flag(query, "allowWatchBookmarks"),
    timeoutSeconds: timeout > 0 ? timeout : 1800,
    encoding: render ? "json" : encodingFor(res, { apiVersion: rt.apiVersion, kind: rt.kind }),
    ...(render ? { render } : {}),
  } as const;
  WatchStream.check(request);
  const stream = new WatchStream(res, request, ctx.core);
  ctx.watches.add(stream);
  stream.start(ctx.bookmarkIntervalMs, () => ctx.watches.delete(stream));
}

/** The options kind of the writes that validate their fields. */
const OPTIONS: Partial<Record<AuditVerb, string>> = { create: "CreateOptions", update: "UpdateOptions", patch: "PatchOptions" };

/** The kind a write's body decodes into. */
function bodyKind(verb: AuditVerb, rt: ResourceType, route: ResourceRoute): string {
  if (verb === "delete" || verb === "deletecollection") return "DeleteOptions";
  return route.subresource === "scale" ? "Scale" : rt.kind;
}

async function audited(call: Call, verb: AuditVerb): Promise<void> {
  const { req, res, rt, route, query, ctx } = call;
  const wctx: WriteContext = { user: userOf(req), dryRun: query.getAll("dryRun").includes("All") };
  let body: unknown;
  let code = 500;
  let patchType: string | undefined;
  let name = route.name;
  try {
    const options = OPTIONS[verb];
    if (options) Object.assign(wctx, { validation: fieldValidationOf(query, options), warnings: [] });
    if (verb === "patch") patchType = patchTypeOf(req.headers["content-type"], rt.isCustom);
    body = await readObject(req, { protobuf: !rt.isCustom, ...(verb === "patch" ? {} : { into: bodyKind(verb, rt, route) }) });
    const [status, result] = await write(call, verb, body, wctx, patchType);
    code = status;
    name ??= (result as { metadata?: { name?: string } }).metadata?.name;
    if (wctx.warnings?.length) res.setHeader("Warning", wctx.warnings.map((w) => `299 - ${JSON.stringify(w)}`));
    send(res, status, result);
  } catch (err) {
    const apiErr = err instanceof ApiError ? err : internalError(err);
    code = apiErr.code;
    sendError(res, apiErr);
  } finally {
    ctx.core.auditLog.record({
      verb,
      group: rt.group,
      version: rt.version,
      resource: rt.resource,
      ...(route.subresource ? { subresource: route.subresource } : {}),
      ...(route.namespace !== undefined ? { namespace: route.namespace } : {}),
      ...(name !== undefined ? { name } : {}),
      ...(patchType ? { patchType } : {}),
      // kube-sim's own components (its node included) write a lot and their bodies say nothing new.
      ...(body !== undefined && wctx.user !== SYSTEM_USER ? { body } : {}),
      user: wctx.user,
      code,
      ...(wctx.dryRun ? { dryRun: true } : {}),
    });
  }
}

async function write(call: Call, verb: AuditVerb, body: unknown, wctx: WriteContext, patchType?: string): Promise<Result> {
  const { rt, ctx, namespace, name, route } = call;
  const core = ctx.core;
  const sub = route.subresource;
  switch (verb) {
    case "create":
      if (sub === "binding") return [201, bindPod(core, rt, namespace, name, body, wctx)];
      return [201, core.create(rt, namespace, body, wctx)];
    case "update":
      if (sub === "scale") return [200, updateScale(core, rt, namespace, name, body, wctx)];
      return [200, core.update(rt, namespace, name, body, wctx, sub === "finalize" ? undefined : sub)];
    case "patch":
      return patch(call, body, wctx, patchType ?? PATCH_TYPES.merge);
    case "delete":
      return remove(call, body, wctx);
    case "deletecollection":
      return removeCollection(call, body, wctx);
  }
}

async function patch(call: Call, body: unknown, wctx: WriteContext, patchType: string): Promise<Result> {
  const { rt, ctx, namespace, name, route, query } = call;
  if (body === undefined) throw badRequest("the body of the request was empty");
  if (route.subresource === "scale") return [200, patchScale(ctx.core, rt, namespace, name, patchType, body, wctx)];
  if (patchType === PATCH_TYPES.apply) {
    if (!query.get("fieldManager")) throw invalid("PatchOptions", "meta.k8s.io", "", [{ type: "Required", field: "fieldManager", detail: "is required for apply patch" }]);
    if (!ctx.core.find(rt, namespace, name)) return [201, ctx.core.create(rt, namespace, body, wctx)];
  }
  return [200, ctx.core.patch(rt, namespace, name, patchType, body, wctx, route.subresource)];
}

function successStatus(rt: ResourceType, name: string, uid: string | undefined): unknown {
  const details: Record<string, unknown> = { name, kind: rt.resource, uid };
  if (rt.group) details.group = rt.group;
  return { kind: "Status", apiVersion: "v1", metadata: {}, status: "Success", details };
}

function remove(call: Call, body: unknown, wctx: WriteContext): Result {
  const { rt, ctx, namespace, name, query } = call;
  const result = deleteObject(ctx.core, rt, namespace, name, parseDeleteOptions(body, query), wctx);
  if (result.removed && !rt.returnDeletedObject) return [200, successStatus(rt, name, result.object.metadata.uid)];
  return [200, result.object];
}

function removeCollection(call: Call, body: unknown, wctx: WriteContext): Result {
  const { rt, ctx, route, query } = call;
  const opts = parseDeleteOptions(body, query);
  const { labels, fields } = selectorsOf(rt, query);
  const items = ctx.core.list(rt, route.namespace, labels, fields).map((o) => {
    return deleteObject(ctx.core, rt, o.metadata.namespace ?? "", o.metadata.name ?? "", opts, wctx).object;
  });
  return [200, { kind: rt.listKind, apiVersion: rt.apiVersion, metadata: { resourceVersion: String(ctx.core.store.resourceVersion) }, items: listItems(rt, items) }];
}
