/**
 * A readiness prober: really sends the probe's HTTP GET to the pod, as a kubelet does.
 * Period while the container is unready: min(periodSeconds·1000, probeIntervalMs) — a documented
 * departure that keeps tests fast; initialDelaySeconds is scaled by the same factor. Once ready:
 * min(periodSeconds·1000, max(probeIntervalMs, READY_PERIOD_MS)), so a thousand ready pods cost
 * about a thousand probes a second, not ten thousand (losing readiness is then noticed within
 * failureThreshold seconds). timeoutSeconds is not scaled. One probe at a time; `successThreshold`
 * successes in a row make the container ready, `failureThreshold` failures in a row unready.
 * A container starts unready.
 */
import { request } from "node:http";
import type { Probe } from "../kinds.js";

export interface ProbeTarget {
  readonly host: string;
  readonly port: number;
  readonly path: string;
}

export interface ProberOptions {
  readonly probe: Probe;
  readonly target: ProbeTarget;
  readonly probeIntervalMs: number;
  /** Called when readiness changes. */
  readonly onChange: (ready: boolean) => void;
  /** Called on each failed probe with the kubelet's words for it (`HTTP probe failed with statuscode: 503`). */
  readonly onFailure?: (detail: string) => void;
}

/** Probe period of a ready container, at least (unless the probe's own period is shorter). */
export const READY_PERIOD_MS = 1000;

/** Periods (unready, ready) and initial delay of a probe, in ms, after scaling. */
export function probeTiming(probe: Probe, probeIntervalMs: number): { periodMs: number; readyPeriodMs: number; initialDelayMs: number } {
  const periodMs = Math.max(1, (probe.periodSeconds ?? 10) * 1000);
  const scaled = Math.min(periodMs, probeIntervalMs);
  const readyPeriodMs = Math.min(periodMs, Math.max(probeIntervalMs, READY_PERIOD_MS));
  return { periodMs: scaled, readyPeriodMs, initialDelayMs: ((probe.initialDelaySeconds ?? 0) * 1000 * scaled) / periodMs };
}

export class Prober {
  readonly #opts: ProberOptions;
  #timer: NodeJS.Timeout | undefined;
  #ready = false;
  #successes = 0;
  #failures = 0;
  #stopped = false;

  constructor(opts: ProberOptions) {
    this.#opts = opts;
  }

  get ready(): boolean {
    return this.#ready;
  }

  start(): void {
    const { initialDelayMs } = probeTiming(this.#opts.probe, this.#opts.probeIntervalMs);
    this.#schedule(initialDelayMs);
  }

  stop(): void {
    this.#stopped = true;
    if (this.#timer) clearTimeout(this.#timer);
    this.#timer = undefined;
  }

  #schedule(ms: number): void {
    if (this.#stopped) return;
    this.#timer = setTimeout(() => {
      this.#timer = undefined;
      void this.#probeOnce();
    }, ms);
  }

  async #probeOnce(): Promise<void> {
    const failure = await httpGet(this.#opts.target, (this.#opts.probe.timeoutSeconds ?? 1) * 1000);
    if (this.#stopped) return;
    if (failure !== undefined) this.#opts.onFailure?.(failure);
    this.#record(failure === undefined);
    const timing = probeTiming(this.#opts.probe, this.#opts.probeIntervalMs);
    this.#schedule(this.#ready ? timing.readyPeriodMs : timing.periodMs);
  }

  #record(ok: boolean): void {
    const probe = this.#opts.probe;
    if (ok) {
      this.#failures = 0;
      this.#successes++;
      if (!this.#ready && this.#successes >= (probe.successThreshold ?? 1)) this.#set(true);
    } else {
      this.#successes = 0;
      this.#failures++;
      if (this.#ready && this.#failures >= (probe.failureThreshold ?? 3)) this.#set(false);
    }
  }

  #set(ready: boolean): void {
    this.#ready = ready;
    this.#opts.onChange(ready);
  }
}

/** Why an HTTP GET did not answer 200..399 within the timeout, in the kubelet's words; undefined when it did. */
function httpGet(target: ProbeTarget, timeoutMs: number): Promise<string | undefined> {
  const url = `http://${target.host}:${target.port}${target.path}`;
  return new Promise((resolve) => {
    const req = request({ host: target.host, port: target.port, path: target.path, method: "GET", agent: false, timeout: timeoutMs, headers: { "User-Agent": "kube-probe/1.33", Connection: "close" } }, (res) => {
      res.resume();
      const status = res.statusCode ?? 0;
      resolve(status >= 200 && status < 400 ? undefined : `HTTP probe failed with statuscode: ${status}`);
    });
    req.on("timeout", () => req.destroy(Object.assign(new Error("timeout"), { code: "ETIMEDOUT" })));
    req.on("error", (err: NodeJS.ErrnoException) => {
      const dial = `dial tcp ${target.host}:${target.port}`;
      if (err.code === "ECONNREFUSED") return resolve(`Get "${url}": ${dial}: connect: connection refused`);
      if (err.code === "ETIMEDOUT") return resolve(`Get "${url}": context deadline exceeded (Client.Timeout exceeded while awaiting headers)`);
      resolve(`Get "${url}": ${err.message}`);
    });
    req.end();
  });
}
