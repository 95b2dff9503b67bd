import { createLogger, loadConfig, openRuntime } from "@baton/runtime";
import { EXIT } from "../errors.js";

// `baton provision`: creates or updates the event and dead-letter streams, once, with a NATS user
// allowed to manage streams — so that the stages can run with BATON_MANAGE_STREAMS=false and users
// that hold no stream-management rights (deploy/nats). Safe to repeat.

export async function provisionCommand(f: { json?: boolean }): Promise<number> {
  const config = loadConfig({ ...process.env, BATON_MANAGE_STREAMS: "true" });
  const rt = await openRuntime(config, { name: "provision", log: createLogger({ service: "provision", level: "silent" }) });
  try {
    const s = rt.bus.subjects;
    const streams = await Promise.all([s.eventsStream, s.dlqStream].map((name) => rt.bus.jsm.streams.info(name)));
    const rows = streams.map((i) => ({
      stream: i.config.name,
      subjects: i.config.subjects,
      replicas: i.config.num_replicas,
      storage: i.config.storage,
      messages: i.state.messages,
    }));
    if (f.json) for (const r of rows) process.stdout.write(`${JSON.stringify(r)}\n`);
    else for (const r of rows) process.stdout.write(`stream ${r.stream}: ${r.subjects.join(", ")}; ${r.replicas} replica(s), ${r.storage} storage, ${r.messages} messages\n`);
    return EXIT.ok;
  } finally {
    await rt.close();
  }
}
