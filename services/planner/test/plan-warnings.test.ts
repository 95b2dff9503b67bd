import { describe, expect, it } from "vitest";
import { spec } from "@baton/contracts/testing";
import { planWarnings } from "../src/steps/plan-warnings.js";

// Issue 20: at plan time, a pod template whose container serving `port` has no readinessProbe is
// warned about: Kubernetes then counts a pod live as soon as it starts, and validation may reach an
// app that is still starting. The template checked is the one the pod-manager will create.

const probe = { httpGet: { path: "/healthz", port: 8080 } };
const TEXT = "no readinessProbe: pods count as live as soon as they start; validation may reach an app that is still starting";

describe("plan-time warnings", () => {
  it("a first release without a template (one container `app`, no probe) is warned about, naming the container and port", () => {
    expect(planWarnings(spec(), 1, null)).toEqual([{ code: "no_readiness_probe", message: `${TEXT} (container "app", port 8080)` }]);
  });

  it("a first release whose template gives the serving container a readinessProbe of any kind is not", () => {
    expect(planWarnings(spec({ template: { spec: { containers: [{ name: "app", readinessProbe: probe }] } } }), 1, null)).toEqual([]);
    expect(planWarnings(spec({ template: { spec: { containers: [{ name: "app", readinessProbe: { tcpSocket: { port: 8080 } } }] } } }), 1, null)).toEqual([]);
  });

  it("the container checked is the one declaring `port`, not the first", () => {
    const template = {
      spec: {
        containers: [
          { name: "proxy", readinessProbe: probe, ports: [{ containerPort: 15000 }] },
          { name: "api", ports: [{ containerPort: 9090 }] },
        ],
      },
    };
    expect(planWarnings(spec({ port: 9090, template }), 1, null).map((w) => w.message)).toEqual([`${TEXT} (container "api", port 9090)`]);
  });

  it("a later release: v1's template with the request merged over it", () => {
    const v1With = { spec: { containers: [{ name: "app", image: "baton.dev/demo-app:1.0.0", readinessProbe: probe }] } };
    const v1Without = { spec: { containers: [{ name: "app", image: "baton.dev/demo-app:1.0.0" }] } };
    // v1 has a probe and the request says nothing about it: v2 keeps it
    expect(planWarnings(spec(), 2, v1With)).toEqual([]);
    // v1 has none: warned, unless the request adds one
    expect(planWarnings(spec(), 2, v1Without).map((w) => w.code)).toEqual(["no_readiness_probe"]);
    expect(planWarnings(spec({ template: { spec: { containers: [{ name: "app", readinessProbe: probe }] } } }), 2, v1Without)).toEqual([]);
    // a request that removes v1's probe (readinessProbe: null) is warned about
    expect(planWarnings(spec({ template: { spec: { containers: [{ name: "app", readinessProbe: null }] } } }), 2, v1With).map((w) => w.code)).toEqual(["no_readiness_probe"]);
  });
});
