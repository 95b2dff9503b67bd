import { createWriteStream } from "node:fs";
import { mkdir } from "node:fs/promises";
import { join } from "node:path";
import { isTerminal, type ReleaseState } from "@baton/contracts";
import { createLogger, loadConfig, openRuntime, serviceUrl, startServices, type OpenRuntime } from "@baton/runtime";
import { AppsV1Api, CoreV1Api, KubeConfig } from "@kubernetes/client-node";
import { EXIT } from "../errors.js";
import { follow } from "../follow.js";
import { duration, table } from "../format.js";
import { STAGES } from "../services.js";
import { startTraffic } from "../traffic.js";
import { plainDisplay, ttyDisplay } from "../watch.js";
import { startConsoleBeside } from "./console.js";
import { submit } from "./release.js";
import { defaultKubeconfigPath, startSim } from "./run.js";

// `baton demo` (scripts/demo): kube-sim and the five stages in this process; the demo app's v1,
// steady production traffic, v2 with the live display, then a v3 whose validation fails and is
// rolled back; a summary; exit 0 only if every outcome is the expected one and production saw no
// failed request.

interface Step {
  readonly label: string;
  readonly expect: ReleaseState["phase"];
  readonly spec: Record<string, unknown>;
}

const APP = { app: "web", namespace: "demo" };
const TESTS = (version: string) => [
  { name: "health", request: { path: "/healthz" }, expect: { status: 200 } },
  { name: "version", request: { path: "/version" }, expect: { status: 200, bodyContains: version, maxLatencyMs: 500 } },
];

const STEPS: Step[] = [
  {
    label: "v1 (first release)",
    expect: "completed",
    spec: {
      ...APP,
      image: "baton.dev/demo-app:1.0.0",
      replicas: 3,
      // A well-behaved app: on SIGTERM it keeps answering its keep-alive clients (with
      // `Connection: close`) for up to 2 s, so they reconnect to v2 at a response boundary.
      // Later releases start from this template.
      // A readiness probe, so a pod that is still starting takes no traffic.
      template: {
        spec: {
          containers: [
            {
              name: "app",
              env: [{ name: "DEMO_DRAIN_MS", value: "2000" }],
              readinessProbe: { httpGet: { path: "/healthz", port: 8080 }, periodSeconds: 1 },
            },
          ],
        },
      },
      validation: { tests: TESTS("1.0.0") },
    },
  },
  {
    label: "v2",
    expect: "completed",
    spec: {
      ...APP,
      image: "baton.dev/demo-app:2.0.0",
      replicas: 3,
      liveThreshold: 2,
      template: { spec: { containers: [{ name: "app", env: [{ name: "DEMO_START_DELAY_MS", value: "800" }] }] } },
      validation: { tests: TESTS("2.0.0"), warmup: { requests: 400, concurrency: 10, paths: ["/", "/catalog"], maxErrorRate: 0.01 } },
      shutdown: { delaySeconds: 3, gracePeriodSeconds: 3 },
    },
  },
  {
    label: "v3 (fails validation)",
    expect: "rolled_back",
    spec: {
      ...APP,
      image: "baton.dev/demo-app:3.0.0",
      replicas: 3,
      template: { spec: { containers: [{ name: "app", env: [{ name: "DEMO_ERROR_RATE", value: "0.3" }] }] } },
      validation: { tests: TESTS("3.0.0"), warmup: { requests: 200, concurrency: 10, paths: ["/"], maxErrorRate: 0.01 } },
      shutdown: { delaySeconds: 3, gracePeriodSeconds: 3 },
    },
  },
];

export async function demoCommand(opts: { kubeconfig?: string; console?: boolean; consolePort?: string; hold?: boolean }): Promise<number> {
  const stateDir = process.env.BATON_STATE_DIR ?? join(process.env.HOME ?? ".", ".baton");
  await mkdir(stateDir, { recursive: true });
  const logFile = join(stateDir, "demo.log");
  const { sim, kubeconfig } = await startSim({ kubeconfig: opts.kubeconfig ?? defaultKubeconfigPath() });
  const prefix = `demo${Date.now().toString(36)}`;
  const config = loadConfig({ ...process.env, KUBECONFIG: kubeconfig, BATON_SERVICE_ADDRESS: "load-balancer", BATON_PREFIX: prefix, BATON_HTTP_PORT: "0" });
  const log = createLogger({ service: "demo", level: "info", destination: createWriteStream(logFile) as never });
  const handle = await startServices(config, Object.values(STAGES), { name: "demo", log });
  const rt = await openRuntime(config, { name: "demo-cli", log });
  // The demo's console: on loopback, without sign-in (a throw-away installation of one person).
  const web = opts.console === false ? undefined : await startConsoleBeside(config, { port: opts.consolePort ?? "0", insecureNoAuth: true }, log);
  const out = process.stdout;
  out.write(`kube-sim at ${sim.url} (KUBECONFIG=${kubeconfig}); services' logs in ${logFile}\n`);
  if (web) out.write(`console: ${web.url} (follow the releases live; no sign-in: the demo's own console, on loopback)\n`);
  out.write(`inspect later with: BATON_PREFIX=${prefix} pnpm baton events <releaseId>\n\n`);
  const kc = new KubeConfig();
  kc.loadFromString(sim.kubeconfig());
  await kc.makeApiClient(CoreV1Api).createNamespace({ body: { metadata: { name: APP.namespace } } });
  const results: { label: string; id: string; state: ReleaseState | undefined; ms: number; expected: string }[] = [];
  let traffic: ReturnType<typeof startTraffic> | undefined;
  try {
    for (const step of STEPS) {
      out.write(`\n=== release ${step.label}: ${String(step.spec.image)}\n`);
      const t0 = Date.now();
      const reply = await submit(rt, step.spec, "demo");
      if (!reply.ok) throw new Error(`intake rejected ${step.label}: ${JSON.stringify(reply.reasons)}`);
      const state = await watch(rt, reply.releaseId);
      results.push({ label: step.label, id: reply.releaseId, state, ms: Date.now() - t0, expected: step.expect });
      if (traffic === undefined) {
        const url = await serviceUrl(kc.makeApiClient(CoreV1Api), config, APP.namespace, APP.app);
        traffic = startTraffic({ url, path: "/version", clients: 8, ratePerSecond: 200 });
        out.write(`\nproduction traffic: 200 requests/s through Service ${APP.namespace}/${APP.app} at ${url}\n`);
        await new Promise((r) => setTimeout(r, 1000));
      }
    }
  } finally {
    const seen = await traffic?.stop();
    const deployments = await kc.makeApiClient(AppsV1Api).listNamespacedDeployment({ namespace: APP.namespace }).catch(() => undefined);
    out.write(`\n${summary(results, seen, deployments?.items.map((d) => d.metadata?.name ?? "") ?? [])}\n`);
    const ok = results.length === STEPS.length && results.every((r) => r.state?.phase === r.expected) && seen !== undefined && seen.failed === 0;
    out.write(ok ? "\ndemo passed: every release ended as expected and production saw no failed request\n" : "\ndemo FAILED: see above\n");
    process.exitCode = ok ? EXIT.ok : EXIT.failed;
    if (web && (opts.hold ?? process.stdout.isTTY === true)) {
      out.write(`\nconsole: ${web.url} shows the three releases above (and kube-sim keeps serving); Ctrl-C to stop\n`);
      await new Promise<void>((resolve) => {
        process.once("SIGINT", resolve);
        process.once("SIGTERM", resolve);
      });
    }
    await web?.handle.stop();
    await rt.close();
    await handle.stop();
    await sim.close();
  }
  return process.exitCode as number;
}

async function watch(rt: OpenRuntime, releaseId: string): Promise<ReleaseState | undefined> {
  const display = process.stdout.isTTY ? ttyDisplay(releaseId) : plainDisplay();
  const state = await follow(rt, releaseId, { onEvent: (e, s) => display.event(e, s), onProgress: (p) => display.progress(p) });
  display.end();
  return state !== undefined && isTerminal(state.phase) ? state : undefined;
}

function summary(
  results: { label: string; id: string; state: ReleaseState | undefined; ms: number; expected: string }[],
  seen: { sent: number; failed: number; versions: Record<string, number>; failures: Record<string, number> } | undefined,
  deployments: string[],
): string {
  const rows = results.map((r) => [r.label, r.id, r.state?.phase ?? "unknown", r.expected, duration(r.ms), r.state?.outcome?.reason ?? ""]);
  const versions = Object.entries(seen?.versions ?? {}).map(([v, n]) => `${v}: ${n}`).join(", ");
  return [
    table(["RELEASE", "ID", "OUTCOME", "EXPECTED", "DURATION", "REASON"], rows),
    "",
    `production requests: ${seen?.sent ?? 0} sent, ${seen?.failed ?? 0} failed${seen && seen.failed > 0 ? ` (${JSON.stringify(seen.failures)})` : ""}`,
    `answered by version: ${versions}`,
    `deployments left: ${deployments.join(", ")}`,
  ].join("\n");
}
