/**
 * Pod IPs: distinct addresses of the node's pod CIDR, bound by the pods' demo apps on this
 * machine. kube-sim's own node uses 127.1.0.0/16 (Linux routes all of 127/8 to lo, so a server can
 * bind any of it without setup); a node joined to a real API server needs a range the API accepts
 * in EndpointSlices (no loopback) made local to the machine, e.g. 10.244.0.0/16 after
 * `ip route replace local 10.244.0.0/16 dev lo`. Addresses ending in .0 or .255 are skipped. The
 * counter starts at a random point so that nodes in several processes rarely pick the same
 * address, and an address is handed out again only after the counter has gone round (like a real
 * IPAM, which does not reuse an IP at once).
 */
import { randomInt } from "node:crypto";

export const LOOPBACK_POD_CIDR = "127.1.0.0/16";

export interface Cidr {
  readonly base: number;
  readonly size: number;
  readonly text: string;
}

const IPV4 = /^(\d{1,3})\.(\d{1,3})\.(\d{1,3})\.(\d{1,3})\/(\d{1,2})$/;

/** An IPv4 CIDR of /8 to /28, or undefined when `text` is not one. */
export function parseCidr(text: string): Cidr | undefined {
  const m = IPV4.exec(text.trim());
  if (!m) return undefined;
  const octets = m.slice(1, 5).map(Number);
  const bits = Number(m[5]);
  if (octets.some((o) => o > 255) || bits < 8 || bits > 28) return undefined;
  const ip = octets.reduce((n, o) => n * 256 + o, 0);
  const size = 2 ** (32 - bits);
  return { base: ip - (ip % size), size, text: text.trim() };
}

export function ipOf(n: number): string {
  return [24, 16, 8, 0].map((shift) => Math.floor(n / 2 ** shift) % 256).join(".");
}

export function isLoopback(cidr: Cidr): boolean {
  return Math.floor(cidr.base / 2 ** 24) === 127;
}

export class IpPool {
  readonly #cidr: Cidr;
  #next: number;
  readonly #inUse = new Set<string>();

  constructor(cidr: Cidr) {
    this.#cidr = cidr;
    this.#next = randomInt(1, cidr.size);
  }

  /** Any address of the range (to check that it can be bound here). */
  sample(): string {
    return ipOf(this.#cidr.base + randomInt(1, this.#cidr.size - 1));
  }

  allocate(): string {
    const size = this.#cidr.size;
    for (let tries = 0; tries < size; tries++) {
      const n = this.#next;
      this.#next = (n + 1) % size;
      const ip = ipOf(this.#cidr.base + n);
      const last = (this.#cidr.base + n) % 256;
      if (last === 0 || last === 255 || this.#inUse.has(ip)) continue;
      this.#inUse.add(ip);
      return ip;
    }
    throw new Error(`kube-sim kubelet: no free pod IP in ${this.#cidr.text}`);
  }

  /**
   * After a bind conflict: another node on this machine is handing out the addresses around ours,
   * so continue from a random point rather than from its neighbours.
   */
  jump(): void {
    this.#next = randomInt(1, this.#cidr.size);
  }

  release(ip: string): void {
    this.#inUse.delete(ip);
  }
}
