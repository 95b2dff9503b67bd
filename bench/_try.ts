import { openTestRuntime } from "@baton/runtime/testing";
import { measureTimers } from "./timers.js";
const rt = await openTestRuntime("bench");
console.log(await measureTimers(rt, 2000, 2000));
await rt.cleanup();
