// Runs the pod-manager alone: `node services/pod-manager/dist/main.js` (config from the environment).
import { runMain } from "@baton/runtime";
import { podManagerService } from "./index.js";

await runMain([podManagerService]);
