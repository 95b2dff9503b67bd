import { runMain } from "@baton/runtime";
import { plannerService } from "./index.js";

await runMain([plannerService]);
