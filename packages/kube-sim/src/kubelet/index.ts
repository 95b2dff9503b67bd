/** The kube-sim kubelet: runs demo-app pods as real HTTP servers on loopback pod IPs (see kubelet.ts). */
import type { ApiCore } from "../api/core.js";
import { Kubelet } from "./kubelet.js";

export function startKubelet(core: ApiCore, opts: { probeIntervalMs: number; log: (line: string) => void }): { close(): Promise<void> } {
  const kubelet = new Kubelet(core, opts);
  kubelet.start();
  return { close: () => kubelet.close() };
}
