import type { ConsoleRole } from "@baton/contracts";
import type { RoleRule } from "../config.js";
import type { Principal } from "./principal.js";

// Roles per namespace from the groups a person has: each rule grants a role in some namespaces
// ("*" = every namespace) to some groups or users; a person's role in a namespace is the highest
// any rule gives them there or in "*". Each role includes the one before it.

const RANK: Readonly<Record<ConsoleRole, number>> = { viewer: 1, operator: 2, admin: 3 };
const ALL = "*";

export function atLeast(have: ConsoleRole | null, need: ConsoleRole): boolean {
  return have !== null && RANK[have] >= RANK[need];
}

export class Access {
  constructor(private readonly rules: readonly RoleRule[]) {}

  /** Every namespace the person has a role in (or "*"), with the highest role there. */
  rolesOf(p: Principal): { namespace: string; role: ConsoleRole }[] {
    const best = new Map<string, ConsoleRole>();
    for (const rule of this.rules) {
      if (!this.applies(rule, p)) continue;
      for (const ns of rule.namespaces) {
        const had = best.get(ns);
        if (had === undefined || RANK[rule.role] > RANK[had]) best.set(ns, rule.role);
      }
    }
    return [...best].map(([namespace, role]) => ({ namespace, role })).sort((a, b) => a.namespace.localeCompare(b.namespace));
  }

  /** The person's role in a namespace, or null when they may not even see it. */
  roleIn(p: Principal, namespace: string | null): ConsoleRole | null {
    let best: ConsoleRole | null = null;
    for (const { namespace: ns, role } of this.rolesOf(p)) {
      if (ns !== ALL && ns !== namespace) continue;
      if (best === null || RANK[role] > RANK[best]) best = role;
    }
    return best;
  }

  can(p: Principal, namespace: string | null, need: ConsoleRole): boolean {
    return atLeast(this.roleIn(p, namespace), need);
  }

  /** The groups that matter to some rule: the only ones a session cookie needs to carry. */
  relevantGroups(groups: readonly string[]): string[] {
    const named = new Set(this.rules.flatMap((r) => r.groups));
    return groups.filter((g) => named.has(g));
  }

  private applies(rule: RoleRule, p: Principal): boolean {
    return rule.users.includes(p.user) || rule.groups.some((g) => p.groups.includes(g));
  }
}
