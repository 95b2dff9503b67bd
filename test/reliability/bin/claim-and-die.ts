import { loadConfig, openRuntime, type TimerPayload } from "@baton/runtime";

// A timer pump that dies at the worst moments: claims due timers with a short lease and kill -9s
// itself, either right after the claim (`after-claim`) or after publishing the first timer's event
// but before deleting the timer (`after-publish`). Prints what it claimed first, as one JSON line.
// Usage: claim-and-die.ts after-claim|after-publish <leaseMs>   (config from BATON_* env)

const [mode, lease] = process.argv.slice(2);
const rt = await openRuntime(loadConfig(), { name: "dying-pump" });
const { timers } = await rt.timers.claim(100, Number(lease ?? 300));
if (mode === "after-publish" && timers[0] !== undefined) {
  const t = timers[0];
  const payload = JSON.parse(t.payload) as TimerPayload;
  await rt.bus.publishRaw(payload.subject, payload.event, t.id);
}
process.stdout.write(`${JSON.stringify({ claimed: timers.map((t) => t.id) })}\n`, () => process.kill(process.pid, "SIGKILL"));
