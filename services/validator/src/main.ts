// Runs the validator alone: `node services/validator/dist/main.js` (config from the environment).
import { runMain } from "@baton/runtime";
import { validatorService } from "./index.js";

await runMain([validatorService]);
