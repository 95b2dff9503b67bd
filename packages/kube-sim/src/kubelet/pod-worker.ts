/**
 * What runs for one pod: its IP, its containers, and its termination (SIGTERM, then SIGKILL when
 * the grace period runs out). Tells the kubelet through `changed` whenever its status moves.
 */
import type { Pod } from "../kinds.js";
import { timestamp } from "../machinery/objects.js";
import { ContainerRun, planContainer, type ContainerDeps, type Plan } from "./container.js";
import type { IpPool } from "./ip-pool.js";
import type { PodView } from "./pod-status.js";

const BIND_ATTEMPTS = 16;

export interface WorkerDeps {
  readonly ips: IpPool;
  readonly probeIntervalMs: number;
  readonly changed: () => void;
  readonly event: ContainerDeps["event"];
}

export class PodWorker {
  readonly uid: string;
  #ip: string | undefined;
  #startTime = timestamp();
  #runs: ContainerRun[] = [];
  #started = false;
  #terminating = false;
  #killAt: number | undefined;
  #killTimer: NodeJS.Timeout | undefined;
  #killed = false;

  constructor(
    readonly pod: Pod,
    private readonly deps: WorkerDeps,
  ) {
    this.uid = pod.metadata.uid ?? "";
  }

  get ip(): string | undefined {
    return this.#ip;
  }

  /** What the status should say; undefined while the containers are still being created. */
  view(): PodView | undefined {
    if (!this.#started || !this.#ip) return undefined;
    return { ip: this.#ip, startTime: this.#startTime, containers: this.#runs.map((r) => r.view()), terminating: this.#terminating };
  }

  /** The run of the container named `name`, once the containers are created. */
  container(name: string): ContainerRun | undefined {
    return this.#started ? this.#runs.find((r) => r.spec.name === name) : undefined;
  }

  /** Every container has stopped after a termination began. */
  get finished(): boolean {
    return this.#started && this.#terminating && this.#runs.every((r) => r.stopped);
  }

  /** Creates the sandbox (an IP) and starts every container; a bind conflict moves the pod to another IP. */
  async start(): Promise<void> {
    const cdeps: ContainerDeps = { pod: this.pod.metadata.name ?? "", probeIntervalMs: this.deps.probeIntervalMs, changed: this.deps.changed, event: this.deps.event };
    const plans = this.pod.spec.containers.map((c) => planContainer(c, cdeps));
    for (let attempt = 1; ; attempt++) {
      this.#ip = this.deps.ips.allocate();
      this.#runs = this.pod.spec.containers.map((c) => new ContainerRun(c, cdeps));
      const err = await this.#runAll(plans, this.#ip);
      if (!err) break;
      for (const r of this.#runs) r.kill();
      this.deps.ips.jump();
      if (this.#killed || attempt >= BIND_ATTEMPTS) {
        this.#runs.forEach((r, i) => (plans[i]?.ok ? r.fail("RunContainerError", `cannot bind ${this.#ip ?? ""}: ${err.message}`) : undefined));
        break;
      }
    }
    this.#startTime = timestamp();
    this.#started = true;
    if (this.#killed) this.#runs.forEach((r) => r.kill());
    else if (this.#terminating) this.#runs.forEach((r) => r.terminate());
    this.deps.changed();
  }

  /** Starts the containers that can run on `ip`; returns the bind error that calls for another IP. */
  async #runAll(plans: Plan[], ip: string): Promise<Error | undefined> {
    const ports = new Map<number, string>();
    for (const [i, run] of this.#runs.entries()) {
      const plan = plans[i];
      if (!plan) continue;
      if (!plan.ok) {
        run.fail(plan.reason, plan.message);
        continue;
      }
      const owner = ports.get(plan.port);
      if (owner !== undefined) {
        run.fail("CrashLoopBackOff", `listen EADDRINUSE: port ${plan.port} is already used by container ${owner}`);
        continue;
      }
      ports.set(plan.port, run.spec.name);
      try {
        await run.run(plan.config, ip, plan.port);
      } catch (err) {
        return err instanceof Error ? err : new Error(String(err));
      }
    }
    return undefined;
  }

  /** SIGTERM now, SIGKILL after `graceSeconds` (a shorter grace given later wins). Safe to repeat. */
  terminate(graceSeconds: number): void {
    const killAt = Date.now() + Math.max(0, graceSeconds) * 1000;
    if (!this.#terminating) {
      this.#terminating = true;
      if (this.#started) this.#runs.forEach((r) => r.terminate());
      this.deps.changed();
    }
    if (this.#killAt !== undefined && this.#killAt <= killAt) return;
    this.#killAt = killAt;
    if (this.#killTimer) clearTimeout(this.#killTimer);
    if (graceSeconds <= 0) return this.kill();
    this.#killTimer = setTimeout(() => this.kill(), killAt - Date.now());
  }

  /** SIGKILL every container now. Safe to repeat. */
  kill(): void {
    this.#terminating = true;
    this.#killed = true;
    if (this.#killTimer) clearTimeout(this.#killTimer);
    this.#killTimer = undefined;
    this.#runs.forEach((r) => r.kill());
  }
}
