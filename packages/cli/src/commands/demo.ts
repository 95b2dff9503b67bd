import { createWriteStream } from "node:fs";
import { mkdir } from "node:fs/promises";
import { join } from "node:path";
import { isTerminal, type ReleaseState } from "@baton/contracts";
import { createLogger, loadConfig, openRuntime, serviceUrl, startServices, type OpenRuntime } from "@baton/runtime";
import { prometheusBinary, startPodPrometheus, type PodPrometheus } from "@baton/runtime/testing";
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
// rolled back, then a v4 that passes validation and turns bad under production traffic after the
// switch: post-promotion analysis (a real Prometheus scraping the pods) switches production back to
// v2 while v2 still runs. A summary; exit 0 only if every outcome is the expected one and
// production saw no failed request but those v4 itself answered before it was switched back.

interface Step {
  readonly label: string;
  readonly expect: ReleaseState["phase"];
  /** What the outcome's reason must say, when it matters. */
  readonly because?: RegExp;
  /** A step that measures the app's metrics needs a Prometheus server (Debian's package). */
  readonly prometheus?: true;
  readonly spec: Record<string, unknown>;
}

/** The share of a revision's answers that were 5xx over the last 3 s, from its pods' own counters. */
const ERROR_RATE_NOW =
  '(sum(rate(demo_http_requests_total{namespace="{{namespace}}",app="{{app}}",revision="{{revision}}",code=~"5.."}[3s])) or vector(0))' +
  ' / sum(rate(demo_http_requests_total{namespace="{{namespace}}",app="{{app}}",revision="{{revision}}"}[3s]))';
const TURNS_BAD = "4.0.0";

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
  {
    label: "v4 (turns bad after the switch)",
    expect: "rolled_back",
    because: /^error-rate: \S+ did not pass result < 0\.05$/,
    prometheus: true,
    spec: {
      ...APP,
      image: `baton.dev/demo-app:${TURNS_BAD}`,
      replicas: 3,
      // Healthy through its tests and warm-up; once a pod has served 150 requests, 1 in 5 fails.
      template: { spec: { containers: [{ name: "app", env: [{ name: "DEMO_DEGRADE_AFTER_REQUESTS", value: "150" }, { name: "DEMO_DEGRADED_ERROR_RATE", value: "0.2" }] }] } },
      validation: { tests: TESTS(TURNS_BAD), warmup: { requests: 200, concurrency: 10, paths: ["/"], maxErrorRate: 0.01 } },
      // Judged under production traffic after the switch, while v2 still runs: v2 is not told to
      // shut down until this passes. Until Prometheus has scraped v4's pods twice the query has no
      // data (inconclusive, tolerated by inconclusiveLimit).
      analysis: {
        postPromotion: [{ name: "error-rate", prometheus: { query: ERROR_RATE_NOW }, successCondition: "result < 0.05", initialDelaySeconds: 2, interval: 1, count: 20, inconclusiveLimit: 10 }],
      },
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
  const prom = prometheusBinary() === undefined ? undefined : await startPodPrometheus();
  const promEnv = prom === undefined ? {} : { BATON_PROMETHEUS_ADDRESS: prom.url };
  const config = loadConfig({ ...process.env, ...promEnv, KUBECONFIG: kubeconfig, BATON_SERVICE_ADDRESS: "load-balancer", BATON_PREFIX: prefix, BATON_HTTP_PORT: "0" });
  const log = createLogger({ service: "demo", level: "info", destination: createWriteStream(logFile) as never });
  const handle = await startServices(config, Object.values(STAGES), { name: "demo", log });
  const rt = await openRuntime(config, { name: "demo-cli", log });
  // The demo's console: on loopback, without sign-in (a throw-away installation of one person).
  const web = opts.console === false ? undefined : await startConsoleBeside(config, { port: opts.consolePort ?? "0", insecureNoAuth: true }, log);
  const out = process.stdout;
  out.write(`kube-sim at ${sim.url} (KUBECONFIG=${kubeconfig}); services' logs in ${logFile}\n`);
  if (web) out.write(`console: ${web.url} (follow the releases live; no sign-in: the demo's own console, on loopback)\n`);
  out.write(prom ? `Prometheus at ${prom.url} scrapes the demo app's pods (the analysis of v4 queries it)\n` : "no prometheus binary (scripts/demo fetches Debian's package): the release judged by its metrics (v4) is left out\n");
  out.write(`inspect later with: BATON_PREFIX=${prefix} pnpm baton events <releaseId>\n\n`);
  const kc = new KubeConfig();
  kc.loadFromString(sim.kubeconfig());
  await kc.makeApiClient(CoreV1Api).createNamespace({ body: { metadata: { name: APP.namespace } } });
  prom?.watch(kc.makeApiClient(CoreV1Api), APP.namespace);
  const steps = STEPS.filter((s) => s.prometheus !== true || prom !== undefined);
  const results: Result[] = [];
  let traffic: ReturnType<typeof startTraffic> | undefined;
  try {
    for (const step of steps) {
      out.write(`\n=== release ${step.label}: ${String(step.spec.image)}\n`);
      const t0 = Date.now();
      const reply = await submit(rt, step.spec, "demo");
      if (!reply.ok) throw new Error(`intake rejected ${step.label}: ${JSON.stringify(reply.reasons)}`);
      const state = await watch(rt, reply.releaseId);
      results.push({ label: step.label, id: reply.releaseId, state, ms: Date.now() - t0, expected: step.expect, because: step.because });
      if (traffic === undefined) {
        const url = await serviceUrl(kc.makeApiClient(CoreV1Api), config, APP.namespace, APP.app);
        // A connection per request: a kept-alive client stays on the revision its connection was
        // balanced to while that revision runs (kube-proxy tracks connections), so after v4's switch
        // it would stay on v2, which is not told to shut down before v4's analysis passes.
        traffic = startTraffic({ url, path: "/version", clients: 8, ratePerSecond: 200, keepAlive: false });
        out.write(`\nproduction traffic: 200 requests/s through Service ${APP.namespace}/${APP.app} at ${url}\n`);
        await new Promise((r) => setTimeout(r, 1000));
      }
    }
  } finally {
    const seen = await traffic?.stop();
    const deployments = await kc.makeApiClient(AppsV1Api).listNamespacedDeployment({ namespace: APP.namespace }).catch(() => undefined);
    out.write(`\n${summary(results, seen, deployments?.items.map((d) => d.metadata?.name ?? "") ?? [])}\n`);
    const asExpected = (r: Result) => r.state?.phase === r.expected && (r.because === undefined || r.because.test(r.state.outcome?.reason ?? ""));
    const ok = results.length === steps.length && results.every(asExpected) && seen !== undefined && seen.failed === (seen.failedBy[TURNS_BAD] ?? 0);
    const spared = prom === undefined ? "" : ` but those ${TURNS_BAD} answered before it was switched back`;
    out.write(ok ? `\ndemo passed: every release ended as expected and production saw no failed request${spared}\n` : "\ndemo FAILED: see above\n");
    process.exitCode = ok ? EXIT.ok : EXIT.failed;
    if (web && (opts.hold ?? process.stdout.isTTY === true)) {
      out.write(`\nconsole: ${web.url} shows the releases above (and kube-sim keeps serving); Ctrl-C to stop\n`);
      await new Promise<void>((resolve) => {
        process.once("SIGINT", resolve);
        process.once("SIGTERM", resolve);
      });
    }
    await web?.handle.stop();
    await rt.close();
    await handle.stop();
    await sim.close();
    await prom?.stop();
  }
  return process.exitCode as number;
}

async function watch(rt: OpenRuntime, releaseId: string): Promise<ReleaseState | undefined> {
  const display = process.stdout.isTTY ? ttyDisplay(releaseId) : plainDisplay();
  const state = await follow(rt, releaseId, { onEvent: (e, s) => display.event(e, s), onProgress: (p) => display.progress(p) });
  display.end();
  return state !== undefined && isTerminal(state.phase) ? state : undefined;
}

interface Result {
  readonly label: string;
  readonly id: string;
  readonly state: ReleaseState | undefined;
  readonly ms: number;
  readonly expected: string;
  readonly because: RegExp | undefined;
}

function summary(
  results: Result[],
  seen: { sent: number; failed: number; versions: Record<string, number>; failures: Record<string, number>; failedBy: Record<string, number> } | undefined,
  deployments: string[],
): string {
  const rows = results.map((r) => [r.label, r.id, r.state?.phase ?? "unknown", r.expected, duration(r.ms), r.state?.outcome?.reason ?? ""]);
  const versions = Object.entries(seen?.versions ?? {}).map(([v, n]) => `${v}: ${n}`).join(", ");
  return [
    table(["RELEASE", "ID", "OUTCOME", "EXPECTED", "DURATION", "REASON"], rows),
    "",
    `production requests: ${seen?.sent ?? 0} sent, ${seen?.failed ?? 0} failed${seen && seen.failed > 0 ? ` (${JSON.stringify(seen.failures)}; answered by version: ${JSON.stringify(seen.failedBy)})` : ""}`,
    `answered by version: ${versions}`,
    `deployments left: ${deployments.join(", ")}`,
  ].join("\n");
}
