/**
 * `GET /api/v1/namespaces/<ns>/pods/<name>/log`, as the real API server answers it
 * (pkg/registry/core/pod/rest/log.go): the PodLogOptions checked (422 PodLogOptions), the container
 * chosen (the only one, or named: 400 with the real wording otherwise), 204 for a pod no node
 * took yet, and the log itself read from the node that runs the pod. kube-sim's own node is read
 * in-process; a pod on another node (a kube-sim node joined to this server) through that node's
 * kubelet endpoint over HTTPS, as a real API server reaches a kubelet. A kubelet's refusal (a
 * container waiting to start, no previous container) comes back as 400 BadRequest with its words.
 */
import { request } from "node:https";
import type { IncomingMessage, ServerResponse } from "node:http";
import type { Node, Pod } from "../kinds.js";
import type { OpenedLog } from "../kubelet/kubelet.js";
import { parseLogOptions, streamLog, type LogOptions } from "../kubelet/logs.js";
import type { ApiCore } from "./core.js";
import { ApiError, badRequest, invalid, type FieldError } from "./errors.js";

/** The node that runs in the API server's process: its logs are read without a network hop. */
export interface LocalNode {
  readonly nodeName: string;
  openLog(namespace: string, pod: string, container: string, previous: boolean): OpenedLog;
}

/** Set once kube-sim's own node has joined (the API server starts first). */
export interface LogContext {
  localNode?: LocalNode;
}

function chooseContainer(pod: Pod, name: string, wanted: string): string {
  const names = pod.spec.containers.map((c) => c.name);
  if (wanted) {
    if (!names.includes(wanted)) throw badRequest(`container ${wanted} is not valid for pod ${name}`);
    return wanted;
  }
  if (names.length === 1) return names[0] ?? "";
  if (names.length === 0) throw badRequest(`a container name must be specified for pod ${name}`);
  let message = `a container name must be specified for pod ${name}, choose one of: [${names.join(" ")}]`;
  const init = ((pod.spec.initContainers ?? []) as { name: string }[]).map((c) => c.name);
  if (init.length > 0) message += ` or one of the init containers: [${init.join(" ")}]`;
  throw badRequest(message);
}

function options(query: URLSearchParams, name: string): LogOptions {
  const parsed = parseLogOptions(query);
  if (!parsed.ok) throw badRequest(parsed.message);
  if (parsed.invalid.length > 0) {
    const errors: FieldError[] = parsed.invalid.map((e) => (e.field ? { type: "Invalid", field: e.field, value: e.value, detail: e.detail } : { type: "Forbidden", field: "", detail: e.detail }));
    throw invalid("PodLogOptions", "", name, errors);
  }
  return parsed.options;
}

/** A kubelet's refusal as the API server's GenericHttpResponseChecker turns it into a Status. */
function kubeletError(code: number, text: string, name: string): ApiError {
  if (code === 400) return badRequest(text);
  if (code === 404) return new ApiError(404, "NotFound", `the server could not find the requested resource ( pods/log ${name})`, { name, kind: "pods/log", causes: [{ reason: "UnexpectedServerResponse", message: text }] });
  return new ApiError(500, "InternalError", `Internal error occurred: ${text}`);
}

/** Where the kubelet of `node` listens: its InternalIP and kubeletEndpoint port. */
function kubeletUrl(node: Node | undefined): URL | undefined {
  const status = node?.status as { addresses?: { type: string; address: string }[]; daemonEndpoints?: { kubeletEndpoint?: { Port?: number } } } | undefined;
  const ip = status?.addresses?.find((a) => a.type === "InternalIP")?.address;
  const port = status?.daemonEndpoints?.kubeletEndpoint?.Port;
  if (!ip || !port) return undefined;
  return new URL(`https://${ip.includes(":") ? `[${ip}]` : ip}:${port}`);
}

/** Relays the log from a remote kubelet (its certificate is not verified, as without --kubelet-certificate-authority). */
function relay(res: ServerResponse, base: URL, path: string, query: URLSearchParams, name: string): Promise<void> {
  return new Promise((resolve, reject) => {
    const req = request(new URL(`${path}?${query.toString()}`, base), { rejectUnauthorized: false, timeout: 30_000 }, (answer: IncomingMessage) => {
      if (answer.statusCode !== 200) {
        const chunks: Buffer[] = [];
        answer.on("data", (c: Buffer) => chunks.push(c));
        answer.on("end", () => reject(kubeletError(answer.statusCode ?? 500, Buffer.concat(chunks).toString("utf8"), name)));
        return;
      }
      res.writeHead(200, { "Content-Type": "text/plain", "Cache-Control": "no-cache, private", "Transfer-Encoding": "chunked" });
      answer.pipe(res);
      answer.on("end", () => resolve());
      res.on("close", () => answer.destroy());
    });
    req.on("timeout", () => req.destroy(new Error("timed out")));
    req.on("error", (err) => reject(new ApiError(500, "InternalError", `Internal error occurred: Get "${base.origin}${path}": ${err.message}`)));
    req.end();
  });
}

export async function servePodLog(res: ServerResponse, core: ApiCore, logs: LogContext, namespace: string, name: string, query: URLSearchParams): Promise<void> {
  const podType = core.registry.lookup("", "v1", "pods");
  if (!podType) throw new Error("kube-sim: pods must be served");
  const pod = core.get(podType, namespace, name) as Pod;
  const opts = options(query, name);
  const container = chooseContainer(pod, name, query.get("container") ?? "");
  const nodeName = pod.spec.nodeName;
  if (!nodeName) {
    // Not scheduled yet: no kubelet to ask, and the real server answers 204 No Content.
    res.writeHead(204);
    res.end();
    return;
  }
  const local = logs.localNode;
  if (local?.nodeName === nodeName) {
    const opened = local.openLog(namespace, name, container, opts.previous);
    if (!opened.ok) throw kubeletError(opened.code, opened.message, name);
    return streamLog(res, opened.log, opts);
  }
  const nodeType = core.registry.lookup("", "v1", "nodes");
  const base = kubeletUrl(nodeType ? (core.find(nodeType, "", nodeName) as Node | undefined) : undefined);
  if (!base) throw new ApiError(500, "InternalError", `Internal error occurred: node ${JSON.stringify(nodeName)} publishes no kubelet endpoint`);
  const path = `/containerLogs/${encodeURIComponent(namespace)}/${encodeURIComponent(name)}/${encodeURIComponent(container)}`;
  const forward = new URLSearchParams(query);
  forward.delete("container");
  await relay(res, base, path, forward, name);
}
