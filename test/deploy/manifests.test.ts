import { execFile } from "node:child_process";
import { readdir, readFile } from "node:fs/promises";
import { join, relative } from "node:path";
import { promisify } from "node:util";
import { parseAllDocuments } from "yaml";
import { describe, expect, it } from "vitest";
import { eventToken, type EventName } from "@baton/contracts";
import { allowed, readAccounts, subjectMatches } from "./nats-config.js";
import { renderCrd, CRD_FILE } from "./crd-schema.js";
import { CLIENT_NODE_CALLS, STAGE_NAMES, STAGE_RIGHTS, TIMER_EVENTS, durablesOf, type StageName } from "./stage-rights.js";

// What can be checked of deploy/ without a cluster: every file parses, every stage has its
// objects, the rules of the issue hold on the rendered overlays, the grants match what the
// services' code calls, and the NATS users allow each stage its own events only.

const ROOT = join(import.meta.dirname, "../..");
const DEPLOY = join(ROOT, "deploy");
const run = promisify(execFile);
const kubectl = await run("kubectl", ["version", "--client"]).then(() => true, () => false);

type Obj = { apiVersion: string; kind: string; metadata: { name: string; namespace?: string; labels?: Record<string, string> }; [k: string]: any };

async function files(dir: string, ext: RegExp): Promise<string[]> {
  const out: string[] = [];
  for (const e of await readdir(dir, { withFileTypes: true })) {
    const p = join(dir, e.name);
    if (e.isDirectory()) out.push(...(await files(p, ext)));
    else if (ext.test(e.name)) out.push(p);
  }
  return out;
}

async function objectsIn(path: string): Promise<Obj[]> {
  return parseAllDocuments(await readFile(path, "utf8")).map((d) => d.toJS() as Obj).filter(Boolean);
}

async function render(overlay: string): Promise<Obj[]> {
  const { stdout } = await run("kubectl", ["kustomize", join(DEPLOY, "overlays", overlay)], { maxBuffer: 16 * 1024 * 1024 });
  return parseAllDocuments(stdout).map((d) => d.toJS() as Obj);
}

const find = (objs: Obj[], kind: string, name: string) => objs.filter((o) => o.kind === kind && o.metadata.name === name);
const subject = (e: EventName) => `baton.evt.${eventToken(e)}.shop.web.r1`;

/** The rules every stage's Deployment must keep. */
function checkDeployment(d: Obj): void {
  const pod = d.spec.template.spec;
  expect(pod.securityContext, d.metadata.name).toMatchObject({ runAsNonRoot: true, seccompProfile: { type: "RuntimeDefault" } });
  for (const c of pod.containers) {
    expect(c.securityContext, c.name).toMatchObject({ runAsNonRoot: true, readOnlyRootFilesystem: true, allowPrivilegeEscalation: false, capabilities: { drop: ["ALL"] }, seccompProfile: { type: "RuntimeDefault" } });
    expect(c.livenessProbe.httpGet).toMatchObject({ path: "/healthz", port: "http" });
    expect(c.readinessProbe.httpGet).toMatchObject({ path: "/readyz", port: "http" });
    expect(c.ports).toContainEqual(expect.objectContaining({ name: "http", containerPort: 8080 }));
    expect(c.resources.requests.cpu && c.resources.requests.memory && c.resources.limits.cpu && c.resources.limits.memory).toBeTruthy();
  }
}

/** No wildcard anywhere in a rule, no cluster-admin, no escalate/bind/impersonate. */
function checkRbac(objs: Obj[]): void {
  for (const o of objs.filter((x) => x.kind === "Role" || x.kind === "ClusterRole")) {
    for (const r of o.rules) {
      for (const f of ["apiGroups", "resources", "verbs", "resourceNames"]) expect(r[f] ?? [], `${o.metadata.name}.${f}`).not.toContain("*");
      expect(r.verbs.filter((v: string) => ["escalate", "bind", "impersonate"].includes(v))).toEqual([]);
      if (r.resources.includes("secrets")) expect(r.resourceNames?.length ?? 0, `${o.metadata.name} reads secrets without resourceNames`).toBeGreaterThan(0);
    }
  }
  for (const b of objs.filter((x) => x.kind.endsWith("RoleBinding"))) expect(b.roleRef.name).not.toMatch(/^(cluster-admin|admin|edit)$/);
}

/** The namespaced rules of a stage, as "group/resource verb" lines. */
const grants = (rules: { apiGroups: string[]; resources: string[]; verbs: string[] }[]) =>
  rules.flatMap((r) => r.apiGroups.flatMap((g) => r.resources.flatMap((res) => r.verbs.map((v) => `${g}/${res} ${v}`)))).sort();
const tableGrants = (s: StageName) =>
  STAGE_RIGHTS[s].kube.filter((k) => !k.clusterScoped && k.resource !== "secrets").flatMap((k) => k.verbs.map((v) => `${k.group}/${k.resource} ${v}`)).sort();

describe("deploy/ files", () => {
  it("every YAML file parses", async () => {
    const yamls = await files(DEPLOY, /\.ya?ml$/);
    expect(yamls.length).toBeGreaterThan(20);
    for (const f of yamls) {
      for (const doc of parseAllDocuments(await readFile(f, "utf8"))) expect(doc.errors, relative(ROOT, f)).toEqual([]);
    }
  });

  it("gives every stage a Deployment, ServiceAccount, PDB, metrics Service, ScaledObject, Role and RoleBinding", async () => {
    const base = (await Promise.all((await files(join(DEPLOY, "base"), /\.yaml$/)).map(objectsIn))).flat();
    const rbac = await objectsIn(join(DEPLOY, "rbac/namespaced/rbac.yaml"));
    const cluster = await objectsIn(join(DEPLOY, "rbac/cluster-wide/rbac.yaml"));
    for (const s of STAGE_NAMES) {
      const name = `baton-${s}`;
      for (const kind of ["Deployment", "ServiceAccount", "PodDisruptionBudget", "ScaledObject"]) expect(find(base, kind, name), `${kind} ${name}`).toHaveLength(1);
      expect(find(base, "Service", `${name}-metrics`)[0]?.spec.ports[0]).toMatchObject({ name: "http-metrics", port: 8080 });
      const [deployment] = find(base, "Deployment", name) as [Obj];
      checkDeployment(deployment);
      expect(deployment.spec.template.spec.serviceAccountName).toBe(name);
      expect(deployment.spec.template.spec.containers[0].args).toEqual([s]);
      for (const [objs, kinds] of [[rbac, ["Role", "RoleBinding"]], [cluster, ["ClusterRole", "ClusterRoleBinding"]]] as const) {
        for (const kind of kinds) expect(find(objs as Obj[], kind, name), `${kind} ${name}`).toHaveLength(1);
      }
      expect(grants(find(rbac, "Role", name)[0]?.rules), `Role ${name}`).toEqual(tableGrants(s));
      expect(grants(find(cluster, "ClusterRole", name)[0]?.rules), `ClusterRole ${name}`).toEqual(tableGrants(s));
    }
    checkRbac([...base, ...rbac, ...cluster]);
  });

  it("scales every stage on each of its own durable consumers", async () => {
    for (const s of STAGE_NAMES) {
      const [so] = await objectsIn(join(DEPLOY, `base/${s}/scaledobject.yaml`));
      const triggers = so?.spec.triggers as { type: string; metadata: Record<string, string> }[];
      expect(triggers.every((t) => t.type === "nats-jetstream" && t.metadata.stream === "BATON_EVENTS" && t.metadata.account === "BATON")).toBe(true);
      expect(triggers.map((t) => t.metadata.consumer).sort()).toEqual(durablesOf(s, eventToken).sort());
    }
  });

  it("keeps the Release CRD in step with the release spec's JSON Schema", async () => {
    expect(await readFile(CRD_FILE, "utf8")).toBe(await renderCrd());
    const [crd] = await objectsIn(CRD_FILE);
    const v = crd?.spec.versions[0];
    expect(v.subresources).toEqual({ status: {} });
    expect(v.additionalPrinterColumns.map((c: { name: string }) => c.name)).toEqual(expect.arrayContaining(["Phase", "Revision", "Age"]));
    expect(JSON.stringify(v.schema)).not.toMatch(/"(\$schema|\$ref|propertyNames|oneOf|anyOf|default)"/);
  });

  it("turns the default Redis user off and grants no stage a dangerous command", async () => {
    const acl = await readFile(join(DEPLOY, "redis/users.acl.template"), "utf8");
    expect(acl).toMatch(/^user default off /m);
    for (const line of acl.split("\n").filter((l) => l.startsWith("user ") && !l.startsWith("user default"))) {
      expect(line).toMatch(/ -@all /);
      expect(line).not.toMatch(/\+@|allkeys|allcommands|~\*|\+(flushall|flushdb|keys|config|debug|acl|shutdown|script)\b/);
    }
    expect(await readFile(join(DEPLOY, "redis/redis.conf"), "utf8")).toMatch(/^appendonly yes$/m);
  });
});

describe("the console and the notifier in deploy/", () => {
  it("run from the same image with their own identity: the console reads pods only, the notifier nothing of the cluster", async () => {
    const base = (await Promise.all((await files(join(DEPLOY, "base"), /\.yaml$/)).map(objectsIn))).flat();
    for (const name of ["console", "notifier"]) {
      const [d] = find(base, "Deployment", `baton-${name}`) as [Obj];
      checkDeployment(d);
      expect(d.spec.template.spec.containers[0].args).toEqual([name]);
      expect(d.spec.template.spec.serviceAccountName).toBe(`baton-${name}`);
      expect(find(base, "PodDisruptionBudget", `baton-${name}`)).toHaveLength(1);
      expect(find(base, "Service", `baton-${name}-metrics`)[0]?.spec.ports[0]).toMatchObject({ name: "http-metrics", port: 8080 });
      const env = d.spec.template.spec.containers[0].env.map((e: { name: string }) => e.name);
      expect(env.filter((e: string) => /SECRET/.test(e)), `${name} carries no secret value in its manifest`).toEqual([]);
    }
    const [consoleDeployment] = find(base, "Deployment", "baton-console") as [Obj];
    expect(consoleDeployment.spec.template.spec.containers[0].ports).toContainEqual(expect.objectContaining({ name: "web", containerPort: 8081 }));
    expect(consoleDeployment.spec.template.spec.containers[0].envFrom).toContainEqual({ secretRef: { name: "baton-console" } });
    expect(find(base, "Service", "baton-console")[0]?.spec.ports[0]).toMatchObject({ name: "web", targetPort: "web" });
    expect(find(base, "ServiceAccount", "baton-notifier")[0]?.automountServiceAccountToken).toBe(false);
    const [notifierDeployment] = find(base, "Deployment", "baton-notifier") as [Obj];
    expect(notifierDeployment.spec.template.spec.automountServiceAccountToken).toBe(false);
    for (const file of ["rbac/namespaced/rbac.yaml", "rbac/cluster-wide/rbac.yaml"]) {
      const objs = await objectsIn(join(DEPLOY, file));
      const role = objs.find((o) => o.kind.endsWith("Role") && o.metadata.name === "baton-console");
      expect(grants(role?.rules), file).toEqual(["/pods list", "/pods watch"]);
      expect(objs.filter((o) => o.metadata.name === "baton-notifier"), file).toEqual([]);
    }
  });
});

describe("deploy/nats users (parsed)", () => {
  it("matches NATS wildcards as the server does", () => {
    expect(subjectMatches("baton.evt.planned.>", "baton.evt.planned.shop.web.r1")).toBe(true);
    expect(subjectMatches("baton.evt.planned.>", "baton.evt.planned")).toBe(false);
    expect(subjectMatches("baton.*.planned", "baton.evt.planned")).toBe(true);
    expect(subjectMatches("baton.*.planned", "baton.evt.x.planned")).toBe(false);
    expect(subjectMatches("$JS.API.INFO", "$JS.API.INFO")).toBe(true);
  });

  it("lets each stage publish its own events and timer events, and no other stage's", async () => {
    const users = await readAccounts();
    for (const s of STAGE_NAMES) {
      const u = users.find((x) => x.user === s);
      expect(u, s).toBeDefined();
      for (const e of [...STAGE_RIGHTS[s].emits, ...TIMER_EVENTS]) expect(allowed(u!.publish, subject(e)), `${s} → ${e}`).toBe(true);
      const foreign = STAGE_NAMES.filter((o) => o !== s).flatMap((o) => STAGE_RIGHTS[o].emits).filter((e) => !STAGE_RIGHTS[s].emits.includes(e));
      for (const e of foreign) expect(allowed(u!.publish, subject(e)), `${s} must not publish ${e}`).toBe(false);
      for (const d of durablesOf(s, eventToken)) expect(allowed(u!.publish, `$JS.API.CONSUMER.MSG.NEXT.BATON_EVENTS.${d}`)).toBe(true);
      const others = STAGE_NAMES.filter((o) => o !== s).flatMap((o) => durablesOf(o, eventToken));
      for (const d of others) expect(allowed(u!.publish, `$JS.API.CONSUMER.MSG.NEXT.BATON_EVENTS.${d}`), `${s} pulling ${d}`).toBe(false);
      expect(allowed(u!.publish, "$JS.API.STREAM.DELETE.BATON_EVENTS")).toBe(false);
      expect(allowed(u!.subscribe, "baton.evt.planned.shop.web.r1")).toBe(false);
    }
    const publisher = users.find((x) => x.user === "publisher")!;
    expect(publisher.publish).toEqual(["baton.intake", "baton.intake.>"]);
    const team = users.find((x) => x.user === "team-a")!;
    expect(team.publish).toEqual(["baton.intake.team-a", "baton.evt.promotion_approved.team-a.>", "baton.evt.abort_requested.team-a.>"]);
  });
});

describe("the table of rights against the services' code", () => {
  const src = async (s: StageName) => {
    const paths = await files(join(ROOT, "services", s, "src"), /\.ts$/).catch(() => [] as string[]);
    return (await Promise.all(paths.map((p) => readFile(p, "utf8")))).join("\n");
  };

  it("grants every client-node call a stage makes", async () => {
    // The Kubernetes Events recorder a stage is given lives in packages/runtime: its calls are the stage's.
    const recorder = await readFile(join(ROOT, "packages", "runtime", "src", "kube-event-recorder.ts"), "utf8");
    for (const s of STAGE_NAMES) {
      const own = await src(s);
      const code = /\bkubeEventRecorder\(/.test(own) ? `${own}\n${recorder}` : own;
      for (const [method, need] of Object.entries(CLIENT_NODE_CALLS)) {
        if (!new RegExp(`\\b${method}\\(`).test(code)) continue;
        const rule = STAGE_RIGHTS[s].kube.find((k) => k.group === need.group && k.resource === need.resource);
        expect(rule?.verbs ?? [], `${s} calls ${method}: needs ${need.group}/${need.resource} ${need.verb}`).toContain(need.verb);
      }
      if (/new Watch\(/.test(code) && /\/pods`/.test(code)) expect(STAGE_RIGHTS[s].kube.find((k) => k.resource === "pods")?.verbs).toContain("watch");
    }
  });

  it("lets every stage publish what its code emits and schedules, and consume what its stage handles", async () => {
    const users = await readAccounts();
    for (const s of STAGE_NAMES) {
      const code = await src(s);
      const u = users.find((x) => x.user === s)!;
      for (const m of code.matchAll(/\b(?:emit|schedule)\(\s*"(\w+)"/g)) expect(allowed(u.publish, subject(m[1] as EventName)), `${s} emits ${m[1]}`).toBe(true);
      const stage = code.match(/handlers:\s*\{([\s\S]*?)\n\s*\}/)?.[1] ?? "";
      for (const m of stage.matchAll(/\b([A-Z]\w+):/g)) expect(STAGE_RIGHTS[s].consumes, `${s} handles ${m[1]}`).toContain(m[1]);
    }
  });
});

describe.skipIf(!kubectl)("the overlays, rendered by kubectl kustomize", () => {
  it.each(["dev", "prod", "cluster-wide"])("%s keeps the rules", async (overlay) => {
    const objs = await render(overlay);
    const deployments = objs.filter((o) => o.kind === "Deployment");
    expect(deployments.map((d) => d.metadata.name).sort()).toEqual([...STAGE_NAMES, "console", "notifier"].map((s) => `baton-${s}`).sort());
    deployments.forEach(checkDeployment);
    checkRbac(objs);
    const allowedNs = find(objs, "ConfigMap", "baton-config")[0]?.data.BATON_ALLOWED_NAMESPACES as string;
    const bound = [...new Set(objs.filter((o) => o.kind === "RoleBinding").map((o) => o.metadata.namespace))];
    if (overlay === "cluster-wide") {
      expect(allowedNs).toBe("*");
      expect(objs.filter((o) => o.kind === "Role" || o.kind === "RoleBinding")).toEqual([]);
    } else {
      expect(allowedNs.split(",").sort()).toEqual(bound.sort());
      for (const b of objs.filter((o) => o.kind === "RoleBinding")) expect(b.subjects).toEqual([{ kind: "ServiceAccount", name: b.metadata.name, namespace: "baton-system" }]);
    }
    expect(objs.filter((o) => o.kind === "ScaledObject")).toHaveLength(overlay === "dev" ? 0 : 5);
    const secretRules = (stage: string) =>
      objs.filter((o) => o.metadata.name === `baton-${stage}` && o.kind.endsWith("Role")).flatMap((o) => o.rules).filter((r) => r.resources.includes("secrets"));
    expect(secretRules("reaper").length).toBeGreaterThan(0);
    // the planner checks the labels of exactly the Secrets the reaper may read (issue 22, item 2)
    expect(secretRules("planner").map((r) => r.resourceNames)).toEqual(secretRules("reaper").map((r) => r.resourceNames));
  });
});
