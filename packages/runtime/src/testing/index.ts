// Test helpers: a unique prefix per test (its own streams and Redis keys), log capture, waiting,
// and throw-away nats-server / redis-server processes on free ports for tests that kill them.

export { captureLogs } from "./logs.js";
export { startFaultProxy } from "./fault-proxy.js";
export type { FaultHandle, FaultProxy, FaultRule } from "./fault-proxy.js";
export type { CapturedLogs } from "./logs.js";
export { openTestRuntime, testConfig, uniquePrefix } from "./runtime.js";
export type { TestRuntime } from "./runtime.js";
export { startPodPrometheus } from "./pod-prometheus.js";
export type { PodPrometheus } from "./pod-prometheus.js";
export { freePort, onPath, prometheusBinary, startNatsServer, startPrometheusServer, startRedisServer } from "./servers.js";
export type { ServerProcess } from "./servers.js";
export { waitFor } from "./wait.js";
