import type { Component } from "./service.js";
import type { Runtime } from "./runtime.js";

// The janitor: every `everyMs` (and once soon after start) it prunes the bookkeeping of releases
// whose state has expired (ReleaseStore.prune), in batches until none is left. One process per
// installation is enough (the planner runs it); several are harmless (pruning is idempotent).

export function startJanitor(rt: Runtime, everyMs: number): Component {
  const log = rt.log.child({ component: "janitor" });
  let running: Promise<void> | undefined;
  const sweep = async () => {
    let total = 0;
    for (;;) {
      const n = await rt.store.prune();
      total += n;
      if (n === 0) break;
    }
    if (total > 0) log.info({ pruned: total }, `pruned the index entries of ${total} expired release(s)`);
  };
  const tick = () => {
    running ??= sweep()
      .catch((err: unknown) => log.warn({ err }, "could not prune expired releases; trying again later"))
      .finally(() => (running = undefined));
  };
  const first = setTimeout(tick, Math.min(everyMs, 5_000)).unref();
  const timer = setInterval(tick, everyMs).unref();
  return {
    name: "janitor",
    async stop() {
      clearTimeout(first);
      clearInterval(timer);
      await running;
    },
  };
}
