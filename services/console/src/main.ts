// Runs the console alone: `node services/console/dist/main.js` (config from the environment).
// It runs no timer pump: the stages' pumps fire the deadlines its actions arm.
import { runMain } from "@baton/runtime";
import { consoleService } from "./index.js";

await runMain([consoleService()], undefined, { timerPump: false });
