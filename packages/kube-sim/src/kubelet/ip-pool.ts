/**
 * Pod IPs: distinct loopback addresses 127.1.x.y (Linux routes all of 127/8 to lo, so a server can
 * bind one without setup). The counter starts at a random point so that simulators in several
 * processes rarely pick the same address, and an address is handed out again only after the
 * counter has gone round (like a real IPAM, which does not reuse an IP at once).
 */
import { randomInt } from "node:crypto";

const SIZE = 1 << 16;

export class IpPool {
  #next = randomInt(1, SIZE);
  readonly #inUse = new Set<string>();

  allocate(): string {
    for (let tries = 0; tries < SIZE; tries++) {
      const n = this.#next;
      this.#next = (n + 1) % SIZE;
      const x = n >> 8;
      const y = n & 255;
      if (y === 0 || y === 255) continue;
      const ip = `127.1.${x}.${y}`;
      if (this.#inUse.has(ip)) continue;
      this.#inUse.add(ip);
      return ip;
    }
    throw new Error("kube-sim kubelet: no free pod IP in 127.1.0.0/16");
  }

  /**
   * After a bind conflict: another simulator on this machine is handing out the addresses around
   * ours, so continue from a random point rather than from its neighbours.
   */
  jump(): void {
    this.#next = randomInt(1, SIZE);
  }

  release(ip: string): void {
    this.#inUse.delete(ip);
  }
}
