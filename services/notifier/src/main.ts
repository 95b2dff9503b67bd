// Runs the notifier alone: `node services/notifier/dist/main.js` (config from the environment).
import { runMain } from "@baton/runtime";
import { notifierService } from "./index.js";

await runMain([notifierService()], undefined, { timerPump: false });
