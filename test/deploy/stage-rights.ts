import type { EventName } from "@baton/contracts";

// What each stage is allowed to do, in one table: the events it consumes (one durable JetStream
// consumer each, `<stage>--<token>`), the events it publishes, and the Kubernetes verbs it uses.
// deploy/ (NATS users, KEDA triggers, RBAC Roles) is checked against this table, and the table is
// checked against the services' code (their handlers and their client-node calls).

export const STAGE_NAMES = ["planner", "pod-manager", "validator", "traffic-switcher", "reaper"] as const;
export type StageName = (typeof STAGE_NAMES)[number];

/**
 * Timer events: every process that runs a stage runs a timer pump, and any pump may fire any due
 * timer (the timers are one shared sorted set), so every stage's NATS user may publish these.
 */
export const TIMER_EVENTS: readonly EventName[] = ["DeadlineExceeded", "DrainDue", "ShutdownDue", "MeasurementDue"];

export interface KubeRule {
  readonly group: "" | "apps" | "discovery.k8s.io" | "baton.dev";
  readonly resource: string;
  readonly verbs: readonly string[];
  /** Cluster-scoped resources need a ClusterRole even in the namespaced install. */
  readonly clusterScoped?: boolean;
}

export interface StageRights {
  readonly consumes: readonly EventName[];
  readonly emits: readonly EventName[];
  readonly kube: readonly KubeRule[];
  /** Redis keys beyond the shared release state and timers (the planner's lock bookkeeping). */
  readonly redisLockKeys: boolean;
}

export const STAGE_RIGHTS: Readonly<Record<StageName, StageRights>> = {
  planner: {
    consumes: ["ReleaseRequested", "DeadlineExceeded"],
    // AbortRequested: a Release object deleted while its release runs aborts it
    emits: ["ReleaseRequested", "ReleaseRejected", "ReleasePlanned", "ReleaseFailed", "AbortRequested"],
    kube: [
      { group: "", resource: "services", verbs: ["get"] },
      { group: "apps", resource: "deployments", verbs: ["list"] },
      { group: "", resource: "namespaces", verbs: ["get"], clusterScoped: true },
      // the labels of the Secrets a spec names (bound to the app?): metadata only, resourceNames per overlay
      { group: "", resource: "secrets", verbs: ["get"] },
      // patch: the planner's finalizer on a Release (added before its release starts, removed when a deletion is done)
      { group: "baton.dev", resource: "releases", verbs: ["get", "list", "watch", "patch"] },
      { group: "baton.dev", resource: "releases/status", verbs: ["get", "update", "patch"] },
      // Kubernetes Events (packages/runtime kube-event-recorder.ts): created once each, never patched
      { group: "", resource: "events", verbs: ["create"] },
    ],
    redisLockKeys: true,
  },
  "pod-manager": {
    consumes: ["ReleasePlanned", "PodsFailed", "ValidationFailed", "AnalysisFailed", "AbortRequested", "TrafficSwitchedBack", "DeadlineExceeded"],
    emits: ["PodsLive", "PodsFailed", "ReleaseRolledBack", "ReleaseFailed"],
    kube: [
      { group: "apps", resource: "deployments", verbs: ["get", "create", "delete"] },
      { group: "", resource: "services", verbs: ["get", "create", "patch", "delete"] },
      { group: "", resource: "pods", verbs: ["list", "watch"] },
      // Kubernetes Events (packages/runtime kube-event-recorder.ts): created once each, never patched
      { group: "", resource: "events", verbs: ["create"] },
    ],
    redisLockKeys: false,
  },
  validator: {
    // analysis: ValidationPassed and TrafficSwitched start it, AnalysisStarted and MeasurementDue run it
    consumes: ["PodsLive", "ValidationPassed", "TrafficSwitched", "AnalysisStarted", "MeasurementDue"],
    emits: ["ValidationPassed", "ValidationFailed", "AnalysisStarted", "MeasurementTaken", "AnalysisPassed", "AnalysisFailed", "AnalysisInconclusive", "ReleaseFailed"],
    kube: [
      { group: "", resource: "services", verbs: ["get"] },
      // validation starts once the preview Service lists a ready v2 endpoint
      { group: "discovery.k8s.io", resource: "endpointslices", verbs: ["list"] },
      // Kubernetes Events (packages/runtime kube-event-recorder.ts): created once each, never patched
      { group: "", resource: "events", verbs: ["create"] },
      // {{podTemplateHash}} in a metric's query: the label of v2's pods
      { group: "", resource: "pods", verbs: ["list"] },
      // web metrics' headers from Secrets bound to the app: resourceNames per overlay
      { group: "", resource: "secrets", verbs: ["get"] },
    ],
    redisLockKeys: false,
  },
  "traffic-switcher": {
    consumes: ["ValidationPassed", "PromotionApproved", "AnalysisPassed", "AnalysisFailed", "AbortRequested", "DeadlineExceeded"],
    emits: ["TrafficSwitched", "TrafficSwitchedBack", "ReleaseFailed"],
    kube: [
      { group: "", resource: "services", verbs: ["get", "create", "patch"] },
      { group: "discovery.k8s.io", resource: "endpointslices", verbs: ["list"] },
      // a switch back checks v1's pods and scales v1 up again if it was already scaled down
      { group: "", resource: "pods", verbs: ["list"] },
      { group: "apps", resource: "deployments", verbs: ["get"] },
      { group: "apps", resource: "deployments/scale", verbs: ["patch"] },
      // Kubernetes Events (packages/runtime kube-event-recorder.ts): created once each, never patched
      { group: "", resource: "events", verbs: ["create"] },
    ],
    redisLockKeys: false,
  },
  reaper: {
    consumes: ["TrafficSwitched", "AnalysisPassed", "PromotionApproved", "DrainDue", "DrainStarted", "ShutdownDue", "DeadlineExceeded"],
    emits: ["DrainStarted", "ReleaseCompleted", "ReleaseFailed"],
    kube: [
      { group: "apps", resource: "deployments", verbs: ["get", "delete"] },
      { group: "apps", resource: "deployments/scale", verbs: ["get", "patch"] },
      { group: "", resource: "pods", verbs: ["list", "delete"] },
      { group: "", resource: "secrets", verbs: ["get"] },
      // Kubernetes Events (packages/runtime kube-event-recorder.ts): created once each, never patched
      { group: "", resource: "events", verbs: ["create"] },
    ],
    redisLockKeys: false,
  },
};

/** What the client-node 1.4 methods the services call do, as RBAC (resource, verb). */
export const CLIENT_NODE_CALLS: Readonly<Record<string, { group: KubeRule["group"]; resource: string; verb: string }>> = {
  readNamespacedService: { group: "", resource: "services", verb: "get" },
  createNamespacedEvent: { group: "", resource: "events", verb: "create" },
  createNamespacedService: { group: "", resource: "services", verb: "create" },
  patchNamespacedService: { group: "", resource: "services", verb: "patch" },
  replaceNamespacedService: { group: "", resource: "services", verb: "update" },
  deleteNamespacedService: { group: "", resource: "services", verb: "delete" },
  listNamespacedService: { group: "", resource: "services", verb: "list" },
  readNamespacedDeployment: { group: "apps", resource: "deployments", verb: "get" },
  createNamespacedDeployment: { group: "apps", resource: "deployments", verb: "create" },
  patchNamespacedDeployment: { group: "apps", resource: "deployments", verb: "patch" },
  replaceNamespacedDeployment: { group: "apps", resource: "deployments", verb: "update" },
  deleteNamespacedDeployment: { group: "apps", resource: "deployments", verb: "delete" },
  listNamespacedDeployment: { group: "apps", resource: "deployments", verb: "list" },
  patchNamespacedDeploymentScale: { group: "apps", resource: "deployments/scale", verb: "patch" },
  replaceNamespacedDeploymentScale: { group: "apps", resource: "deployments/scale", verb: "update" },
  readNamespacedDeploymentScale: { group: "apps", resource: "deployments/scale", verb: "get" },
  readNamespacedPod: { group: "", resource: "pods", verb: "get" },
  listNamespacedPod: { group: "", resource: "pods", verb: "list" },
  deleteNamespacedPod: { group: "", resource: "pods", verb: "delete" },
  deleteCollectionNamespacedPod: { group: "", resource: "pods", verb: "deletecollection" },
  readNamespacedEndpoints: { group: "", resource: "endpoints", verb: "get" },
  listNamespacedEndpoints: { group: "", resource: "endpoints", verb: "list" },
  listNamespacedEndpointSlice: { group: "discovery.k8s.io", resource: "endpointslices", verb: "list" },
  // runtime's helper making that call, as stages call it
  readyServiceEndpoints: { group: "discovery.k8s.io", resource: "endpointslices", verb: "list" },
  readNamespacedSecret: { group: "", resource: "secrets", verb: "get" },
  readNamespace: { group: "", resource: "namespaces", verb: "get" },
  listNamespacedCustomObject: { group: "baton.dev", resource: "releases", verb: "list" },
  listClusterCustomObject: { group: "baton.dev", resource: "releases", verb: "list" },
  getNamespacedCustomObject: { group: "baton.dev", resource: "releases", verb: "get" },
  patchNamespacedCustomObject: { group: "baton.dev", resource: "releases", verb: "patch" },
  patchNamespacedCustomObjectStatus: { group: "baton.dev", resource: "releases/status", verb: "patch" },
  replaceNamespacedCustomObjectStatus: { group: "baton.dev", resource: "releases/status", verb: "update" },
};

/** The durable consumer names of a stage (as runtime/src/consumer.ts names them). */
export function durablesOf(stage: StageName, token: (name: EventName) => string): string[] {
  return STAGE_RIGHTS[stage].consumes.map((e) => `${stage}--${token(e)}`);
}
