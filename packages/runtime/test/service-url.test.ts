/** Where the validator and the harnesses reach a Service from outside the cluster (BATON_SERVICE_ADDRESS). */
import { describe, expect, it } from "vitest";
import { RetryableError, SERVICE_ADDRESS_ANNOTATION, serviceUrlOf } from "@baton/runtime";

const LB = { BATON_SERVICE_ADDRESS: "load-balancer", BATON_CLUSTER_DOMAIN: "cluster.local" } as const;
const DNS = { BATON_SERVICE_ADDRESS: "cluster-dns", BATON_CLUSTER_DOMAIN: "cluster.local" } as const;
const CIP = { BATON_SERVICE_ADDRESS: "cluster-ip", BATON_CLUSTER_DOMAIN: "cluster.local" } as const;
const ports = { ports: [{ port: 80 }] };

describe("serviceUrlOf", () => {
  it("cluster-dns: the Service's DNS name and port", () => {
    expect(serviceUrlOf({ spec: ports }, DNS, "shop", "web")).toBe("http://web.shop.svc.cluster.local:80");
  });

  it("cluster-ip: the Service's ClusterIP and port (in a cluster without DNS for Baton, or where ClusterIPs route to this machine)", () => {
    expect(serviceUrlOf({ spec: { ...ports, clusterIP: "10.96.4.7" } }, CIP, "shop", "web")).toBe("http://10.96.4.7:80");
    expect(serviceUrlOf({ spec: { ...ports, clusterIP: "fd00::7" } }, CIP, "shop", "web")).toBe("http://[fd00::7]:80");
    expect(() => serviceUrlOf({ spec: { ...ports, clusterIP: "None" } }, CIP, "shop", "web")).toThrow(/Service shop\/web has no cluster IP \(headless\)/);
    expect(() => serviceUrlOf({ spec: ports }, CIP, "shop", "web")).toThrow(RetryableError);
  });

  it("load-balancer: the address in status.loadBalancer.ingress (a LoadBalancer Service)", () => {
    const svc = { spec: { ...ports, type: "LoadBalancer" }, status: { loadBalancer: { ingress: [{ ip: "127.0.0.1", ports: [{ port: 41234, protocol: "TCP" }] }] } } };
    expect(serviceUrlOf(svc, LB, "shop", "web")).toBe("http://127.0.0.1:41234");
    expect(serviceUrlOf({ spec: ports, status: { loadBalancer: { ingress: [{ hostname: "lb.example.com" }] } } }, LB, "shop", "web")).toBe("http://lb.example.com:80");
  });

  it("load-balancer: the baton.dev/external-address annotation where the API server refuses load-balancer status (a ClusterIP Service)", () => {
    expect(SERVICE_ADDRESS_ANNOTATION).toBe("baton.dev/external-address");
    const svc = { metadata: { annotations: { [SERVICE_ADDRESS_ANNOTATION]: "127.0.0.1:40001" } }, spec: ports, status: { loadBalancer: {} } };
    expect(serviceUrlOf(svc, LB, "shop", "web")).toBe("http://127.0.0.1:40001");
    const v6 = { metadata: { annotations: { [SERVICE_ADDRESS_ANNOTATION]: "[::1]:40002" } }, spec: ports };
    expect(serviceUrlOf(v6, LB, "shop", "web")).toBe("http://[::1]:40002");
  });

  it("load-balancer: no address yet is retryable; an unreadable annotation says which and why", () => {
    expect(() => serviceUrlOf({ spec: ports }, LB, "shop", "web")).toThrow(RetryableError);
    expect(() => serviceUrlOf({ spec: ports }, LB, "shop", "web")).toThrow(/Service shop\/web has no load-balancer address yet/);
    const bad = { metadata: { annotations: { [SERVICE_ADDRESS_ANNOTATION]: "nowhere" } }, spec: ports };
    expect(() => serviceUrlOf(bad, LB, "shop", "web")).toThrow(/annotation baton.dev\/external-address of Service shop\/web must be host:port, got "nowhere"/);
  });
});
