/** One container of a pod: the demo app it runs (if it can run), its readiness prober, its state. */
import { randomBytes } from "node:crypto";
import type { Container } from "../kinds.js";
import { timestamp } from "../machinery/objects.js";
import { ContainerLog } from "./container-log.js";
import { DemoApp } from "./demo-app.js";
import { demoConfig, type DemoConfig } from "./demo-config.js";
import { imageId, parseDemoImage } from "./image.js";
import type { ContainerRunState, ContainerView } from "./pod-status.js";
import { Prober } from "./prober.js";

export const DEFAULT_PORT = 8080;

export interface ContainerDeps {
  readonly pod: string;
  readonly probeIntervalMs: number;
  /** Something in this container's state changed (the kubelet then syncs the pod's status). */
  readonly changed: () => void;
  /** A warning for the pod's events (image pull failure, ignored env). */
  readonly warn: (reason: string, message: string) => void;
}

/** Why a container cannot start, or its demo config. */
export type Plan = { ok: true; config: DemoConfig; port: number } | { ok: false; reason: string; message: string };

export function planContainer(c: Container, deps: ContainerDeps): Plan {
  const image = c.image ?? "";
  const demo = parseDemoImage(image);
  if (!demo) {
    const message = `Failed to pull image "${image}": kube-sim runs only baton.dev/demo-app:<tag> images`;
    return { ok: false, reason: "ErrImagePull", message };
  }
  const parsed = demoConfig(demo.tag, c.env);
  if (!parsed.ok) return { ok: false, reason: "CreateContainerConfigError", message: parsed.message };
  if (parsed.ignored.length > 0) deps.warn("EnvValueFromIgnored", `container ${c.name}: kube-sim ignores valueFrom in env ${parsed.ignored.join(", ")}`);
  return { ok: true, config: parsed.config, port: c.ports?.[0]?.containerPort ?? DEFAULT_PORT };
}

export class ContainerRun {
  readonly containerID = `kube-sim://${randomBytes(32).toString("hex")}`;
  /** What the container wrote (`kubectl logs`). */
  readonly log = new ContainerLog();
  #state: ContainerRunState = { kind: "creating" };
  #app: DemoApp | undefined;
  #prober: Prober | undefined;
  #backoff: NodeJS.Timeout | undefined;

  constructor(
    readonly spec: Container,
    private readonly deps: ContainerDeps,
  ) {}

  view(): ContainerView {
    const image = this.spec.image ?? "";
    return { name: this.spec.name, image, imageID: imageId(image), containerID: this.containerID, state: this.#state };
  }

  get app(): DemoApp | undefined {
    return this.#app;
  }

  /** The container cannot start: it waits with `reason`; a failed pull turns into ImagePullBackOff. */
  fail(reason: string, message: string): void {
    this.#state = { kind: "waiting", reason, message };
    this.deps.warn(reason === "ErrImagePull" ? "Failed" : reason, message);
    if (reason !== "ErrImagePull") return;
    this.#backoff = setTimeout(() => {
      this.#state = { kind: "waiting", reason: "ImagePullBackOff", message: `Back-off pulling image "${this.spec.image ?? ""}"` };
      this.deps.changed();
    }, this.deps.probeIntervalMs);
  }

  /** Binds the demo app on ip:port; rejects with the bind error, leaving the container "creating". */
  async run(config: DemoConfig, ip: string, port: number): Promise<void> {
    const app = new DemoApp({ config, pod: this.deps.pod, onExit: (code) => this.#exited(code), log: (line) => this.log.write(line) });
    await app.listen(ip, port);
    this.#app = app;
    const startedAt = timestamp();
    const probe = this.spec.readinessProbe;
    const httpGet = probe?.httpGet;
    if (!probe || !httpGet) {
      this.#state = { kind: "running", startedAt, ready: true };
      return;
    }
    this.#state = { kind: "running", startedAt, ready: false };
    const target = { host: ip, port: this.#probePort(httpGet.port, port), path: httpGet.path || "/" };
    this.#prober = new Prober({ probe, target, probeIntervalMs: this.deps.probeIntervalMs, onChange: (ready) => this.#readiness(ready) });
    this.#prober.start();
  }

  #probePort(port: number | string, fallback: number): number {
    if (typeof port === "number") return port;
    const named = this.spec.ports?.find((p) => p.name === port)?.containerPort;
    return named ?? (Number(port) || fallback);
  }

  #readiness(ready: boolean): void {
    if (this.#state.kind !== "running") return;
    this.#state = { ...this.#state, ready };
    this.deps.changed();
  }

  #exited(code: number): void {
    this.#stopTimers();
    const startedAt = this.#state.kind === "running" ? this.#state.startedAt : undefined;
    const reason = code === 0 ? "Completed" : "Error";
    this.#state = { kind: "terminated", exitCode: code, reason, finishedAt: timestamp(), ...(startedAt ? { startedAt } : {}) };
    this.log.end();
    this.deps.changed();
  }

  #stopTimers(): void {
    this.#prober?.stop();
    if (this.#backoff) clearTimeout(this.#backoff);
    this.#backoff = undefined;
  }

  /** SIGTERM: the app drains (see DemoApp); readiness probing stops, the pod is unready anyway. */
  terminate(): void {
    this.#stopTimers();
    this.#app?.terminate();
  }

  /** SIGKILL (also used to throw away an app bound during a failed start). */
  kill(): void {
    this.#stopTimers();
    this.#app?.kill();
  }

  /** Nothing runs in this container any more (it exited, or never ran). */
  get stopped(): boolean {
    return !this.#app || this.#app.exited;
  }
}
