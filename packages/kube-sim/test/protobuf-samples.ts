/**
 * One object of every built-in kind kube-sim serves, with the fields whose protobuf forms are
 * special (times, int-or-string, quantities, bytes, maps, inline structs, nested lists), valid on a
 * real API server too. Keyed by `<apiVersion> <kind>`.
 */
import type { KubernetesObject } from "@kubernetes/client-node";

export type Sample = KubernetesObject & Record<string, unknown>;

const T = "2026-01-02T03:04:05Z";

export function samples(ns: string, name: string): Record<string, Sample> {
  const labels = { app: name, "baton.dev/test": "protobuf" };
  const podSpec = {
    volumes: [
      { name: "config", configMap: { name: "settings", defaultMode: 420, items: [{ key: "k", path: "p" }] } },
      { name: "scratch", emptyDir: { sizeLimit: "64Mi" } },
    ],
    containers: [
      {
        name: "app",
        image: "baton.dev/demo-app:1.0.0",
        args: ["--flag", ""],
        ports: [{ name: "http", containerPort: 8080, protocol: "TCP" }],
        env: [
          { name: "DEMO_VERSION", value: "7" },
          { name: "EMPTY", value: "" },
          { name: "POD_IP", valueFrom: { fieldRef: { apiVersion: "v1", fieldPath: "status.podIP" } } },
        ],
        resources: { requests: { cpu: "100m", memory: "64Mi" }, limits: { cpu: "1", memory: "128Mi" } },
        volumeMounts: [{ name: "config", mountPath: "/etc/app", readOnly: true }],
        readinessProbe: { httpGet: { path: "/healthz", port: "http" }, periodSeconds: 1, failureThreshold: 3 },
        livenessProbe: { tcpSocket: { port: 8080 }, initialDelaySeconds: 0 },
        lifecycle: { preStop: { sleep: { seconds: 1 } } },
        securityContext: { runAsNonRoot: true, runAsUser: 1000, allowPrivilegeEscalation: false },
      },
    ],
    terminationGracePeriodSeconds: 5,
    tolerations: [{ key: "example.com/gpu", operator: "Exists", effect: "NoExecute", tolerationSeconds: 300 }],
    nodeSelector: { "kubernetes.io/os": "linux" },
  };
  const template = { metadata: { labels }, spec: podSpec };
  return {
    "v1 Namespace": { apiVersion: "v1", kind: "Namespace", metadata: { name: `${ns}-${name}`, labels, annotations: { note: "a namespace" } } },
    // Not the ReplicaSet's labels: a real ReplicaSet controller adopts (and, at 0 replicas, deletes) matching pods.
    "v1 Pod": { apiVersion: "v1", kind: "Pod", metadata: { name, namespace: ns, labels: { app: `${name}-pod` }, annotations: { "baton.dev/empty": "" } }, spec: podSpec },
    "v1 Service": {
      apiVersion: "v1",
      kind: "Service",
      metadata: { name, namespace: ns, labels },
      spec: {
        selector: { app: name },
        ports: [
          { name: "http", port: 80, targetPort: "http", protocol: "TCP" },
          { name: "metrics", port: 9090, targetPort: 9091 },
        ],
        sessionAffinity: "None",
      },
    },
    "v1 Endpoints": {
      apiVersion: "v1",
      kind: "Endpoints",
      // Not the Service's name: the endpoints controller owns that one.
      metadata: { name: `${name}-ep`, namespace: ns, labels },
      subsets: [{ addresses: [{ ip: "10.244.1.2" }], notReadyAddresses: [{ ip: "10.244.1.3" }], ports: [{ name: "http", port: 8080, protocol: "TCP" }] }],
    },
    "v1 Secret": { apiVersion: "v1", kind: "Secret", metadata: { name, namespace: ns, labels }, type: "Opaque", data: { password: Buffer.from("s3cret\u0000\u00ff").toString("base64"), empty: "" } },
    "v1 ConfigMap": { apiVersion: "v1", kind: "ConfigMap", metadata: { name, namespace: ns, labels }, data: { mode: "fast", empty: "" }, binaryData: { blob: Buffer.from([0, 1, 2, 255]).toString("base64") } },
    "v1 Event": {
      apiVersion: "v1",
      kind: "Event",
      metadata: { name, namespace: ns, labels },
      involvedObject: { kind: "Pod", namespace: ns, name, apiVersion: "v1", fieldPath: "spec.containers{app}" },
      reason: "Started",
      message: "Started container app",
      source: { component: "kube-sim-test", host: "node-a" },
      firstTimestamp: T,
      lastTimestamp: T,
      count: 2,
      type: "Normal",
    },
    "v1 ServiceAccount": { apiVersion: "v1", kind: "ServiceAccount", metadata: { name, namespace: ns, labels }, automountServiceAccountToken: false, imagePullSecrets: [{ name: "registry" }] },
    "v1 Node": {
      apiVersion: "v1",
      kind: "Node",
      metadata: { name: `${ns}-${name}`, labels },
      spec: { unschedulable: true, taints: [{ key: "baton.dev/test", value: "protobuf", effect: "NoSchedule" }] },
    },
    "discovery.k8s.io/v1 EndpointSlice": {
      apiVersion: "discovery.k8s.io/v1",
      kind: "EndpointSlice",
      metadata: { name: `${name}-slice`, namespace: ns, labels: { ...labels, "kubernetes.io/service-name": name } },
      addressType: "IPv4",
      endpoints: [
        { addresses: ["10.244.1.2"], conditions: { ready: true, serving: true, terminating: false }, targetRef: { kind: "Pod", namespace: ns, name: "p" }, nodeName: "node-a" },
        { addresses: ["10.244.1.3"], conditions: { ready: false } },
      ],
      ports: [{ name: "http", protocol: "TCP", port: 8080, appProtocol: "http" }],
    },
    "coordination.k8s.io/v1 Lease": {
      apiVersion: "coordination.k8s.io/v1",
      kind: "Lease",
      metadata: { name: `${name}-lease`, namespace: ns, labels },
      spec: { holderIdentity: "node-a", leaseDurationSeconds: 40, acquireTime: "2026-01-02T03:04:05.000000Z", renewTime: "2026-01-02T03:04:15.123456Z", leaseTransitions: 0 },
    },
    "apps/v1 Deployment": {
      apiVersion: "apps/v1",
      kind: "Deployment",
      metadata: { name, namespace: ns, labels },
      spec: {
        replicas: 0,
        selector: { matchLabels: { app: name }, matchExpressions: [{ key: "baton.dev/test", operator: "In", values: ["protobuf"] }] },
        strategy: { type: "RollingUpdate", rollingUpdate: { maxSurge: "25%", maxUnavailable: 0 } },
        revisionHistoryLimit: 3,
        progressDeadlineSeconds: 120,
        template,
      },
    },
    "apps/v1 ReplicaSet": { apiVersion: "apps/v1", kind: "ReplicaSet", metadata: { name, namespace: ns, labels }, spec: { replicas: 0, minReadySeconds: 2, selector: { matchLabels: { app: name } }, template } },
    "apiextensions.k8s.io/v1 CustomResourceDefinition": {
      apiVersion: "apiextensions.k8s.io/v1",
      kind: "CustomResourceDefinition",
      metadata: { name: `widgets.${name}.kube-sim.test`, labels },
      spec: {
        group: `${name}.kube-sim.test`,
        scope: "Namespaced",
        names: { plural: "widgets", singular: "widget", kind: "Widget", listKind: "WidgetList", shortNames: ["wdg"] },
        versions: [
          {
            name: "v1",
            served: true,
            storage: true,
            subresources: { status: {}, scale: { specReplicasPath: ".spec.replicas", statusReplicasPath: ".status.replicas" } },
            additionalPrinterColumns: [{ name: "Size", type: "integer", jsonPath: ".spec.size", priority: 1 }],
            schema: {
              openAPIV3Schema: {
                type: "object",
                properties: {
                  spec: {
                    type: "object",
                    required: ["size"],
                    properties: {
                      size: { type: "integer", minimum: 0, maximum: 10, default: 1 },
                      ratio: { type: "number", minimum: 0, maximum: 10.5 },
                      replicas: { type: "integer" },
                      mode: { type: "string", enum: ["a", "b"] },
                      tags: { type: "array", items: { type: "string", maxLength: 20 } },
                      extra: { type: "object", additionalProperties: { type: "string" } },
                      free: { type: "object", "x-kubernetes-preserve-unknown-fields": true },
                      port: { "x-kubernetes-int-or-string": true, anyOf: [{ type: "integer" }, { type: "string" }] },
                    },
                  },
                  status: { type: "object", properties: { replicas: { type: "integer" } } },
                },
              },
            },
          },
        ],
      },
    },
  };
}
