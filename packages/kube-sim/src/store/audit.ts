/** The audit log: every API write, in order. */
import type { AuditEntry } from "../types.js";

export const SYSTEM_USER = "system:kube-sim";

export class AuditLog {
  readonly #entries: AuditEntry[] = [];

  record(entry: Omit<AuditEntry, "seq" | "time">): void {
    this.#entries.push({ seq: this.#entries.length + 1, time: new Date().toISOString(), ...entry });
  }

  entries(): AuditEntry[] {
    return this.#entries.map((e) => ({ ...e }));
  }

  toJSON(): AuditEntry[] {
    return this.#entries;
  }
}
