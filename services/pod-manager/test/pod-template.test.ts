import { describe, expect, it } from "vitest";
import { spec } from "@baton/contracts/testing";
import { failureReason, podTemplateFor } from "../src/index.js";

// The pod template of a new revision, as DESIGN.md describes it: v1's template with the new image
// on its first container and the request's template merged over it (containers and env by name).

const v1 = {
  metadata: { labels: { "app.kubernetes.io/name": "web", "baton.dev/revision": "1", team: "shop" }, annotations: { note: "v1" } },
  spec: {
    serviceAccountName: "web",
    containers: [
      { name: "app", image: "r/web:1", env: [{ name: "A", value: "1" }, { name: "B", value: "1" }], resources: { limits: { cpu: "1" } } },
      { name: "proxy", image: "r/proxy:1" },
    ],
  },
};

describe("podTemplateFor", () => {
  it("starts from v1: image on the first container only, env merged by name, other fields deep-merged", () => {
    const s = spec({
      image: "r/web:2",
      template: {
        metadata: { labels: { "baton.dev/revision": "99", tier: "front" } },
        spec: {
          containers: [
            { name: "app", env: [{ name: "B", value: "2" }, { name: "C", value: "2" }], resources: { requests: { cpu: "100m" } } },
            { name: "debug", image: "r/debug:1" },
          ],
        },
      },
    });
    const t = podTemplateFor(s, 2, v1);
    expect(t.metadata?.labels).toEqual({ "app.kubernetes.io/name": "web", "baton.dev/revision": "2", team: "shop", tier: "front" });
    expect(t.metadata?.annotations).toEqual({ note: "v1" });
    expect(t.spec?.serviceAccountName).toBe("web");
    const [app, proxy, debug] = t.spec?.containers ?? [];
    expect(app).toMatchObject({
      name: "app",
      image: "r/web:2",
      env: [{ name: "A", value: "1" }, { name: "B", value: "2" }, { name: "C", value: "2" }],
      resources: { limits: { cpu: "1" }, requests: { cpu: "100m" } },
    });
    expect(proxy?.image).toBe("r/proxy:1");
    expect(debug?.image).toBe("r/debug:1");
    expect(v1.spec.containers[0]?.image).toBe("r/web:1"); // v1's template is not modified
  });

  it("on a first release without a template: one container `app` with the image and the port", () => {
    const t = podTemplateFor(spec({ image: "r/web:1", port: 9000 }), 1, null);
    expect(t.spec?.containers).toEqual([{ name: "app", image: "r/web:1", ports: [{ name: "http", containerPort: 9000 }] }]);
    expect(t.metadata?.labels).toEqual({ "app.kubernetes.io/name": "web", "baton.dev/revision": "1" });
  });

  it("on a first release the template defines the pods; the release's image goes on its first container", () => {
    const t = podTemplateFor(
      spec({ image: "r/web:1", template: { spec: { containers: [{ name: "main", env: [{ name: "X", value: "y" }] }, { name: "side", image: "r/s:1" }] } } }),
      1,
      null,
    );
    expect(t.spec?.containers?.map((c) => [c.name, c.image])).toEqual([
      ["main", "r/web:1"],
      ["side", "r/s:1"],
    ]);
    expect(t.spec?.containers?.[0]?.ports).toEqual([{ name: "http", containerPort: 8080 }]);
  });
});

describe("failureReason", () => {
  it("says how many pods are Ready and why each other one is not", () => {
    const pods = [
      { name: "web-2-a", phase: "Running", ready: true },
      { name: "web-2-b", phase: "Pending", ready: false, reason: "ErrImagePull" },
    ];
    expect(failureReason(1, 3, 30, pods)).toBe("1 of 3 pods Ready after 30 s; web-2-b: ErrImagePull");
    expect(failureReason(0, 2, 5, [])).toBe("0 of 2 pods Ready after 5 s; no pods were created");
  });
});
