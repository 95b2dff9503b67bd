import { createServer, type Server } from "node:http";
import type { Registry } from "prom-client";

// /healthz (the process is alive), /readyz (its connections and consumers are up), /metrics.

export interface HealthServer {
  readonly port: number;
  close(): Promise<void>;
}

export async function startHealthServer(opts: {
  host: string;
  port: number;
  registry: Registry;
  ready: () => Promise<string | undefined>;
}): Promise<HealthServer> {
  const server: Server = createServer((req, res) => {
    const path = (req.url ?? "/").split("?")[0];
    if (path === "/healthz") return void res.writeHead(200, { "content-type": "text/plain" }).end("ok\n");
    if (path === "/readyz") {
      void opts.ready().then((problem) => {
        res.writeHead(problem === undefined ? 200 : 503, { "content-type": "text/plain" }).end(`${problem ?? "ready"}\n`);
      });
      return;
    }
    if (path === "/metrics") {
      void opts.registry.metrics().then((body) => res.writeHead(200, { "content-type": opts.registry.contentType }).end(body));
      return;
    }
    res.writeHead(404, { "content-type": "text/plain" }).end("not found\n");
  });
  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen(opts.port, opts.host, () => resolve());
  });
  const address = server.address();
  return {
    port: typeof address === "object" && address !== null ? address.port : opts.port,
    close: () => new Promise((resolve) => server.close(() => resolve())),
  };
}
