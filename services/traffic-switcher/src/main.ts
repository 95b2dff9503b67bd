import { runMain } from "@baton/runtime";
import { trafficSwitcherService } from "./index.js";

await runMain([trafficSwitcherService]);
