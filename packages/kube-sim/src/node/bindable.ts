/** Can this machine bind an address (is it local here)? What a node checks before it promises pods or Services there. */
import { createServer } from "node:net";

/** Resolves undefined when `ip` can be bound, else the error code (EADDRNOTAVAIL: not local here). */
export function bindError(ip: string): Promise<string | undefined> {
  return new Promise((resolve) => {
    const server = createServer();
    server.once("error", (err: NodeJS.ErrnoException) => resolve(err.code ?? err.message));
    server.listen(0, ip, () => server.close(() => resolve(undefined)));
  });
}

/** The one line that tells an operator how to make `cidr` local to this machine. */
export function routeHint(cidr: string): string {
  return `make it local to this machine with \`ip route replace local ${cidr} dev lo\` (needs root or CAP_NET_ADMIN)`;
}
