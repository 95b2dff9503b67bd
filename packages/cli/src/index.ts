// @baton/cli: the `baton` command. Also exports what the demo, the end-to-end tests and the
// benchmarks share with it.
export { STAGES, stagesNamed } from "./services.js";
export { startTraffic } from "./traffic.js";
export type { Traffic, TrafficOptions, TrafficStats } from "./traffic.js";
export { follow } from "./follow.js";
export type { FollowHandlers } from "./follow.js";
export { submit, requestBody } from "./commands/release.js";
export type { IntakeReply } from "./commands/release.js";
export { diff, statusView } from "./commands/read.js";
export { requestControl } from "@baton/runtime";
export type { ControlEvent, ControlResult } from "@baton/runtime";
