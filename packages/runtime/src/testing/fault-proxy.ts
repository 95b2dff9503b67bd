import { createServer, request, type IncomingMessage, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";

// An HTTP proxy a test puts in front of an API server (kube-sim) to inject faults into the calls of
// the services under test, touching neither the server nor the services: answer a status instead
// of forwarding (503 for a while, a 403), hold a request until the test lets it go (a slow read
// landing in a race), or never answer (a call with no timeout). Everything else is forwarded as
// is, watches included (streamed both ways).

export interface FaultRule {
  /** HTTP method to match (any when unset). */
  readonly method?: string;
  /** Path (without the query) to match. */
  readonly path: RegExp;
  /** Answer this status (with a Kubernetes Status body) instead of forwarding. */
  readonly status?: number;
  /** Hold matching requests until {@link FaultHandle.release} (then forward them). */
  readonly hold?: boolean;
  /** Never answer matching requests (until the proxy closes). */
  readonly hang?: boolean;
  /** The rule applies to this many matching requests, then no more (default: every one). */
  readonly times?: number;
  /** The rule applies for this long after its first hit, then no more. */
  readonly forMs?: number;
}

export interface FaultHandle {
  /** Requests the rule applied to so far. */
  hits(): number;
  /** Resolves when the rule has applied to its first request. */
  readonly hit: Promise<void>;
  /** Lets held requests go on to the server (and any later match too). */
  release(): void;
  /** The rule applies no more (held requests are released). */
  remove(): void;
}

export interface FaultProxy {
  readonly url: string;
  /** Adds a rule; the first rule that applies to a request decides. */
  add(rule: FaultRule): FaultHandle;
  /** A kubeconfig (YAML from kube-sim) whose server is this proxy. */
  kubeconfig(original: string): string;
  close(): Promise<void>;
}

interface LiveRule {
  readonly rule: FaultRule;
  until: number;
  hits: number;
  removed: boolean;
  released: boolean;
  readonly waiting: (() => void)[];
  onHit: () => void;
}

export async function startFaultProxy(target: string): Promise<FaultProxy> {
  const to = new URL(target);
  const rules: LiveRule[] = [];
  const hung = new Set<ServerResponse>();
  const applies = (r: LiveRule, req: IncomingMessage): boolean => {
    if (r.removed || Date.now() > r.until || (r.rule.times !== undefined && r.hits >= r.rule.times)) return false;
    if (r.rule.method !== undefined && r.rule.method.toUpperCase() !== req.method) return false;
    return r.rule.path.test((req.url ?? "").split("?")[0] ?? "");
  };
  const forward = (req: IncomingMessage, res: ServerResponse) => {
    const up = request({ host: to.hostname, port: to.port, method: req.method, path: req.url, headers: req.headers }, (answer) => {
      res.writeHead(answer.statusCode ?? 502, answer.headers);
      answer.pipe(res);
    });
    up.on("error", () => res.destroy());
    res.on("close", () => up.destroy());
    req.pipe(up);
  };
  const server = createServer((req, res) => {
    const live = rules.find((r) => applies(r, req));
    if (live === undefined) return forward(req, res);
    if (live.hits++ === 0) live.until = Date.now() + (live.rule.forMs ?? Number.POSITIVE_INFINITY);
    live.onHit();
    const { status, hold, hang } = live.rule;
    if (status !== undefined) {
      req.resume();
      res.writeHead(status, { "content-type": "application/json" });
      res.end(JSON.stringify({ kind: "Status", apiVersion: "v1", status: "Failure", message: `injected fault: HTTP ${status}`, code: status }));
    } else if (hang === true) {
      hung.add(res);
    } else if (hold === true && !live.released) {
      hung.add(res);
      live.waiting.push(() => {
        hung.delete(res);
        forward(req, res);
      });
    } else {
      forward(req, res);
    }
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  return {
    url,
    add(rule) {
      let onHit = () => {};
      const hit = new Promise<void>((resolve) => (onHit = resolve));
      const live: LiveRule = { rule, until: Number.POSITIVE_INFINITY, hits: 0, removed: false, released: false, waiting: [], onHit };
      rules.push(live);
      const release = () => {
        live.released = true;
        for (const go of live.waiting.splice(0)) go();
      };
      return {
        hits: () => live.hits,
        hit,
        release,
        remove() {
          live.removed = true;
          release();
        },
      };
    },
    kubeconfig: (original) => original.replace(/server: \S+/, `server: ${url}`),
    async close() {
      for (const res of hung) res.destroy();
      for (const r of rules) r.waiting.splice(0);
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}
