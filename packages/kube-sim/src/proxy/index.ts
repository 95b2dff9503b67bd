/** The kube-sim kube-proxy: a loopback port per Service, balancing over its ready endpoints (see proxy.ts). */
import type { ApiCore } from "../api/core.js";
import { Proxy } from "./proxy.js";

export { ADDRESS_ANNOTATION } from "./address.js";

export function startProxy(core: ApiCore, opts: { host: string; log: (line: string) => void }): { close(): Promise<void> } {
  const proxy = new Proxy(core, opts);
  proxy.start();
  return { close: () => proxy.close() };
}
