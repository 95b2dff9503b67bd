// The Release custom resource (baton.dev/v1alpha1): `kubectl apply -f release.yaml` starts a
// release; the planner follows it and writes its progress back to the object's status.
export { startReleaseResourceWatcher } from "./watcher.js";
export type { ReleaseWatcherOptions } from "./watcher.js";
export { intakeBodyOf, releaseIdOf } from "./release-object.js";
export type { ReleaseCondition, ReleaseObject, ReleaseStatus } from "./release-object.js";
export { statusOf } from "./status.js";
