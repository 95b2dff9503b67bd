/** The API server's HTTP front: discovery, /version, OpenAPI, the audit, and resource routes. */
import { createServer, type IncomingMessage, type Server, type ServerResponse } from "node:http";
import type { AuditLog } from "../store/audit.js";
import { apiGroup, apiGroupList, apiResourceList, apiVersions, VERSION_INFO } from "./discovery.js";
import { ApiError, internalError, methodNotAllowed, pathNotFound } from "./errors.js";
import { handleResource, type HandlerContext } from "./handlers.js";
import { negotiate, requireJsonDocument } from "./media.js";
import { parseRoute, send, sendError, sendJson } from "./request.js";

export interface ApiServerContext extends HandlerContext {
  audit: AuditLog;
  log: (line: string) => void;
  /** host:port the server answers on, for /api's serverAddressByClientCIDRs. */
  address: () => string;
}

function sendText(res: ServerResponse, code: number, text: string): void {
  res.writeHead(code, { "Content-Type": "text/plain; charset=utf-8", "Content-Length": Buffer.byteLength(text) });
  res.end(text);
}

/** Answers the paths that are not resources; false when the path is not one of them. */
function serveFixed(req: IncomingMessage, res: ServerResponse, path: string, ctx: ApiServerContext): boolean {
  const registry = ctx.core.registry;
  switch (path) {
    case "/version":
      requireJsonDocument(req, res);
      sendJson(res, 200, VERSION_INFO);
      return true;
    case "/api":
      negotiate(req, res);
      send(res, 200, apiVersions(ctx.address()));
      return true;
    case "/apis":
      negotiate(req, res);
      send(res, 200, apiGroupList(registry));
      return true;
    case "/openapi/v2":
      // Zero bytes: a valid, empty protobuf document. kubectl finds no schema and skips
      // client-side validation (see notes/kubectl-compat.md).
      res.writeHead(200, { "Content-Type": "application/octet-stream", "Content-Length": 0 });
      res.end();
      return true;
    case "/healthz":
    case "/livez":
    case "/readyz":
      sendText(res, 200, "ok");
      return true;
    case "/sim/v1/audit":
      sendJson(res, 200, ctx.audit);
      return true;
    default:
      return false;
  }
}

function serveDiscovery(res: ServerResponse, route: NonNullable<ReturnType<typeof parseRoute>>, ctx: ApiServerContext): boolean {
  const registry = ctx.core.registry;
  if (route.kind === "group") {
    const body = apiGroup(registry, route.group);
    if (!body) throw pathNotFound();
    send(res, 200, body);
    return true;
  }
  if (route.kind === "group-version") {
    const body = apiResourceList(registry, route.group, route.version);
    if (!body) throw pathNotFound();
    send(res, 200, body);
    return true;
  }
  return false;
}

async function dispatch(req: IncomingMessage, res: ServerResponse, ctx: ApiServerContext): Promise<void> {
  const url = new URL(req.url ?? "/", "http://kube-sim");
  const path = url.pathname.length > 1 ? url.pathname.replace(/\/+$/, "") : url.pathname;
  if (req.method === "GET" && serveFixed(req, res, path, ctx)) return;
  const route = parseRoute(path);
  // Outside /api and the groups it serves, a real API server's mux answers in plain text.
  if (!route || (route.group !== "" && !ctx.core.registry.groups().some((g) => g.name === route.group))) {
    sendText(res, 404, "404 page not found\n");
    return;
  }
  negotiate(req, res);
  if (route.kind !== "resource") {
    if (req.method !== "GET") throw methodNotAllowed();
    serveDiscovery(res, route, ctx);
    return;
  }
  await handleResource(req, res, route, url.searchParams, ctx);
}

export function createApiServer(ctx: ApiServerContext): Server {
  const server = createServer({ keepAliveTimeout: 65_000, requestTimeout: 0 }, (req, res) => {
    dispatch(req, res, ctx).catch((err: unknown) => {
      const apiErr = err instanceof ApiError ? err : internalError(err);
      if (apiErr.code >= 500) ctx.log(`api: ${req.method} ${req.url}: ${(err as Error).stack ?? String(err)}`);
      if (res.headersSent) res.destroy();
      else sendError(res, apiErr);
    });
  });
  return server;
}
