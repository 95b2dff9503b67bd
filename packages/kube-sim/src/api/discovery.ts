/**
 * Discovery in the legacy JSON form only (see notes/kubectl-compat.md: aggregated discovery
 * answered wrongly breaks kubectl), /version, and the empty OpenAPI v2 document.
 */
import type { GroupInfo, ResourceRegistry, ResourceType } from "./resources.js";
import { VERBS } from "./resources.js";

/**
 * The server version. The google-cloud-sdk `kubectl` dispatcher reads it to pick its client:
 * minors 27..33 select kubectl 1.27..1.33, anything else its default (1.32). 1.32 is the API
 * level kube-sim follows.
 */
export const VERSION_INFO = {
  major: "1",
  minor: "32",
  gitVersion: "v1.32.0",
  gitCommit: "kube-sim",
  gitTreeState: "clean",
  buildDate: "2025-01-01T00:00:00Z",
  goVersion: "go1.23.0",
  compiler: "gc",
  platform: "linux/amd64",
};

export function apiVersions(serverAddress: string): unknown {
  return { kind: "APIVersions", versions: ["v1"], serverAddressByClientCIDRs: [{ clientCIDR: "0.0.0.0/0", serverAddress }] };
}

function groupBody(g: GroupInfo): Record<string, unknown> {
  const versions = g.versions.map((v) => ({ groupVersion: `${g.name}/${v}`, version: v }));
  return { name: g.name, versions, preferredVersion: { groupVersion: `${g.name}/${g.preferred}`, version: g.preferred } };
}

export function apiGroupList(registry: ResourceRegistry): unknown {
  const groups = registry.groups().filter((g) => g.name !== "").map(groupBody);
  return { kind: "APIGroupList", apiVersion: "v1", groups };
}

export function apiGroup(registry: ResourceRegistry, name: string): unknown | undefined {
  const g = registry.groups().find((x) => x.name === name && name !== "");
  return g ? { kind: "APIGroup", apiVersion: "v1", ...groupBody(g) } : undefined;
}

function entries(t: ResourceType): Record<string, unknown>[] {
  const main: Record<string, unknown> = { name: t.resource, singularName: t.singular, namespaced: t.namespaced, kind: t.kind, verbs: VERBS };
  if (t.shortNames.length > 0) main.shortNames = t.shortNames;
  if (t.categories.length > 0) main.categories = t.categories;
  const sub = (name: string, kind: string, extra: Record<string, unknown> = {}) => ({
    name: `${t.resource}/${name}`,
    singularName: "",
    namespaced: t.namespaced,
    ...extra,
    kind,
    verbs: ["get", "patch", "update"],
  });
  const out = [main];
  if (t.hasStatus) out.push(sub("status", t.kind));
  if (t.hasScale) out.push(sub("scale", "Scale", { group: "autoscaling", version: "v1" }));
  if (t.rkey === "/pods") out.push({ ...sub("binding", "Binding"), verbs: ["create"] }, { ...sub("log", "Pod"), verbs: ["get"] });
  return out;
}

export function apiResourceList(registry: ResourceRegistry, group: string, version: string): unknown | undefined {
  const types = registry.groupVersion(group, version);
  if (types.length === 0) return undefined;
  return { kind: "APIResourceList", apiVersion: "v1", groupVersion: group ? `${group}/${version}` : version, resources: types.flatMap(entries) };
}
