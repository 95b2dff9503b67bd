import { runMain } from "@baton/runtime";
import { reaperService } from "./index.js";

await runMain([reaperService]);
