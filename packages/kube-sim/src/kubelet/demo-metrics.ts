/**
 * The demo app's own Prometheus metrics (`GET /metrics`, text format 0.0.4): what a real app's
 * instrumentation exports, so analysis queries it as it would a real one. Every series carries the
 * app's `version`; Prometheus adds the pod's labels (app, revision, pod) from its discovery.
 *
 *   demo_http_requests_total{version, code}                       requests answered, by status code
 *   demo_http_request_duration_seconds_bucket{version, le}       latency, from arrival to answer
 *   demo_http_request_duration_seconds_sum / _count{version}
 *
 * /healthz (the kubelet's probes) and /metrics itself are not counted.
 */

const BUCKETS = [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10];

export class DemoMetrics {
  readonly #version: string;
  readonly #codes = new Map<number, number>();
  readonly #buckets = BUCKETS.map(() => 0);
  #sum = 0;
  #count = 0;

  constructor(version: string) {
    this.#version = version;
  }

  observe(code: number, seconds: number): void {
    this.#codes.set(code, (this.#codes.get(code) ?? 0) + 1);
    BUCKETS.forEach((le, i) => {
      if (seconds <= le) this.#buckets[i] = (this.#buckets[i] ?? 0) + 1;
    });
    this.#sum += seconds;
    this.#count++;
  }

  text(): string {
    const v = `version="${escape(this.#version)}"`;
    const lines = [
      "# HELP demo_http_requests_total Requests answered, by status code.",
      "# TYPE demo_http_requests_total counter",
      ...[...this.#codes].sort((a, b) => a[0] - b[0]).map(([code, n]) => `demo_http_requests_total{${v},code="${code}"} ${n}`),
      "# HELP demo_http_request_duration_seconds Time from a request's arrival to its answer.",
      "# TYPE demo_http_request_duration_seconds histogram",
      ...BUCKETS.map((le, i) => `demo_http_request_duration_seconds_bucket{${v},le="${le}"} ${this.#buckets[i]}`),
      `demo_http_request_duration_seconds_bucket{${v},le="+Inf"} ${this.#count}`,
      `demo_http_request_duration_seconds_sum{${v}} ${this.#sum}`,
      `demo_http_request_duration_seconds_count{${v}} ${this.#count}`,
    ];
    return `${lines.join("\n")}\n`;
  }
}

function escape(s: string): string {
  return s.replace(/\\/g, "\\\\").replace(/"/g, '\\"').replace(/\n/g, "\\n");
}
