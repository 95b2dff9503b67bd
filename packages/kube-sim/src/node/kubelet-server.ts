/**
 * The node's kubelet endpoint: HTTPS on the node's address (a self-signed certificate), the port
 * published in the Node's status.daemonEndpoints.kubeletEndpoint, where an API server reaches a
 * kubelet for `kubectl logs`: `GET /containerLogs/<namespace>/<pod>/<container>?<PodLogOptions>`.
 * Errors are plain text with the kubelet's status codes (400 for a container that cannot give
 * logs, 404 for an unknown pod or container), which the API server turns into its Status.
 *
 * No authentication: a real kubelet checks the API server's client certificate
 * (--kubelet-client-certificate); this one listens on the node's loopback address only and
 * serves nothing but logs and /healthz.
 */
import { createServer, type Server } from "node:https";
import type { AddressInfo } from "node:net";
import type { IncomingMessage, ServerResponse } from "node:http";
import type { Kubelet } from "../kubelet/kubelet.js";
import { parseLogOptions, streamLog } from "../kubelet/logs.js";
import { selfSignedCert } from "./self-signed.js";

function sendText(res: ServerResponse, code: number, text: string): void {
  res.writeHead(code, { "Content-Type": "text/plain; charset=utf-8", "Content-Length": Buffer.byteLength(text) });
  res.end(text);
}

function handle(kubelet: Kubelet, req: IncomingMessage, res: ServerResponse): void {
  const url = new URL(req.url ?? "/", "https://kubelet");
  const parts = url.pathname.split("/").filter(Boolean).map(decodeURIComponent);
  if (req.method === "GET" && url.pathname === "/healthz") return sendText(res, 200, "ok");
  if (req.method !== "GET" || parts[0] !== "containerLogs" || parts.length !== 4) return sendText(res, 404, "404 page not found\n");
  const [, namespace = "", pod = "", container = ""] = parts;
  const parsed = parseLogOptions(url.searchParams);
  if (!parsed.ok) return sendText(res, 400, parsed.message);
  const opened = kubelet.openLog(namespace, pod, container, parsed.options.previous);
  if (!opened.ok) return sendText(res, opened.code, opened.message);
  streamLog(res, opened.log, parsed.options);
}

export interface KubeletServer {
  readonly port: number;
  close(): Promise<void>;
}

/** Serves the kubelet endpoint on `host` (port chosen free). */
export function startKubeletServer(kubelet: Kubelet, host: string, nodeName: string): Promise<KubeletServer> {
  const { cert, key } = selfSignedCert(nodeName, [host, "localhost", nodeName]);
  const server: Server = createServer({ cert, key }, (req, res) => handle(kubelet, req, res));
  return new Promise((resolve, reject) => {
    server.once("error", reject);
    server.listen(0, host, () => {
      server.off("error", reject);
      resolve({
        port: (server.address() as AddressInfo).port,
        close: () =>
          new Promise<void>((done) => {
            server.close(() => done());
            server.closeAllConnections();
          }),
      });
    });
  });
}
