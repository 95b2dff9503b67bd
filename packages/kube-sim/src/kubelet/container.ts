/**
 * One container of a pod: the demo app it runs (if it can run), its readiness prober, its state,
 * and the Events a kubelet records for a container (Pulling / Pulled / Failed / BackOff, Created,
 * Started, Unhealthy, Killing) with its words.
 */
import { randomBytes } from "node:crypto";
import type { Container } from "../kinds.js";
import { timestamp } from "../machinery/objects.js";
import { ContainerLog } from "./container-log.js";
import { DemoApp } from "./demo-app.js";
import { demoConfig, type DemoConfig } from "./demo-config.js";
import { imageId, parseDemoImage } from "./image.js";
import type { ContainerRunState, ContainerView } from "./pod-status.js";
import type { EventType } from "../events/recorder.js";
import { Prober } from "./prober.js";

export const DEFAULT_PORT = 8080;

export interface ContainerDeps {
  readonly pod: string;
  readonly probeIntervalMs: number;
  /** Something in this container's state changed (the kubelet then syncs the pod's status). */
  readonly changed: () => void;
  /** An Event on the pod, about container `container` (its fieldPath `spec.containers{<name>}`). */
  readonly event: (container: string, type: EventType, reason: string, message: string) => void;
}

/** The pull policy a container gets by default: Always for `:latest` (or no tag), IfNotPresent otherwise. */
function pullPolicy(c: Container): string {
  const image = c.image ?? "";
  const explicit = (c as { imagePullPolicy?: string }).imagePullPolicy;
  if (explicit) return explicit;
  const tagged = image.includes("@") || image.lastIndexOf(":") > image.lastIndexOf("/");
  return !tagged || image.endsWith(":latest") ? "Always" : "IfNotPresent";
}

/** A demo image is built into kube-sim: "pulled" at once, or already present. */
function recordPull(c: Container, deps: ContainerDeps): void {
  const image = c.image ?? "";
  if (pullPolicy(c) !== "Always") return deps.event(c.name, "Normal", "Pulled", `Container image ${JSON.stringify(image)} already present on machine`);
  deps.event(c.name, "Normal", "Pulling", `Pulling image ${JSON.stringify(image)}`);
  deps.event(c.name, "Normal", "Pulled", `Successfully pulled image ${JSON.stringify(image)} in 0s (0s including waiting). Image size: 0 bytes.`);
}

/** Why a container cannot start, or its demo config. */
export type Plan = { ok: true; config: DemoConfig; port: number } | { ok: false; reason: string; message: string };

export function planContainer(c: Container, deps: ContainerDeps): Plan {
  const image = c.image ?? "";
  const demo = parseDemoImage(image);
  if (!demo) {
    deps.event(c.name, "Normal", "Pulling", `Pulling image ${JSON.stringify(image)}`);
    const message = `Failed to pull image "${image}": kube-sim runs only baton.dev/demo-app:<tag> images`;
    return { ok: false, reason: "ErrImagePull", message };
  }
  recordPull(c, deps);
  const parsed = demoConfig(demo.tag, c.env);
  if (!parsed.ok) return { ok: false, reason: "CreateContainerConfigError", message: parsed.message };
  if (parsed.ignored.length > 0) deps.event(c.name, "Warning", "EnvValueFromIgnored", `container ${c.name}: kube-sim ignores valueFrom in env ${parsed.ignored.join(", ")}`);
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
    if (reason !== "ErrImagePull") return this.#event("Warning", "Failed", `Error: ${message}`);
    this.#event("Warning", "Failed", message);
    this.#event("Warning", "Failed", "Error: ErrImagePull");
    this.#backoff = setTimeout(() => {
      const backOff = `Back-off pulling image "${this.spec.image ?? ""}"`;
      this.#state = { kind: "waiting", reason: "ImagePullBackOff", message: backOff };
      this.#event("Normal", "BackOff", backOff);
      this.#event("Warning", "Failed", "Error: ImagePullBackOff");
      this.deps.changed();
    }, this.deps.probeIntervalMs);
  }

  #event(type: EventType, reason: string, message: string): void {
    this.deps.event(this.spec.name, type, reason, message);
  }

  /** Binds the demo app on ip:port; rejects with the bind error, leaving the container "creating". */
  async run(config: DemoConfig, ip: string, port: number): Promise<void> {
    const app = new DemoApp({ config, pod: this.deps.pod, onExit: (code) => this.#exited(code), log: (line) => this.log.write(line) });
    await app.listen(ip, port);
    this.#app = app;
    this.#event("Normal", "Created", `Created container: ${this.spec.name}`);
    this.#event("Normal", "Started", `Started container ${this.spec.name}`);
    const startedAt = timestamp();
    const probe = this.spec.readinessProbe;
    const httpGet = probe?.httpGet;
    if (!probe || !httpGet) {
      this.#state = { kind: "running", startedAt, ready: true };
      return;
    }
    this.#state = { kind: "running", startedAt, ready: false };
    const target = { host: ip, port: this.#probePort(httpGet.port, port), path: httpGet.path || "/" };
    // One Unhealthy per probe period as the pod specifies it (kube-sim probes faster; the Event's count follows the real cadence).
    const periodMs = (probe.periodSeconds ?? 10) * 1000;
    let lastUnhealthy = 0;
    const onFailure = (detail: string) => {
      if (Date.now() - lastUnhealthy < periodMs) return;
      lastUnhealthy = Date.now();
      this.#event("Warning", "Unhealthy", `Readiness probe failed: ${detail}`);
    };
    this.#prober = new Prober({ probe, target, probeIntervalMs: this.deps.probeIntervalMs, onChange: (ready) => this.#readiness(ready), onFailure });
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
    if (this.#app && !this.#app.exited) this.#event("Normal", "Killing", `Stopping container ${this.spec.name}`);
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
