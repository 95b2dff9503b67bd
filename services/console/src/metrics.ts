import { Counter, Gauge, type Registry } from "prom-client";

// The console's own series, on the process's registry (beside the runtime's, on /metrics).

export interface ConsoleMetrics {
  readonly requests: Counter<"route" | "status">;
  readonly actions: Counter<"action" | "result">;
  readonly signIns: Counter<"via" | "result">;
  readonly streams: Gauge;
}

export function consoleMetrics(registry: Registry): ConsoleMetrics {
  const r = [registry];
  return {
    requests: new Counter({ name: "baton_console_requests_total", help: "Console HTTP requests by route and status", labelNames: ["route", "status"], registers: r }),
    actions: new Counter({ name: "baton_console_actions_total", help: "Actions taken in the console, by action and result (accepted, refused, forbidden)", labelNames: ["action", "result"], registers: r }),
    signIns: new Counter({ name: "baton_console_sign_ins_total", help: "Sign-ins by way (oidc, token) and result (ok, refused)", labelNames: ["via", "result"], registers: r }),
    streams: new Gauge({ name: "baton_console_streams", help: "Open live streams (browser pages following releases)", registers: r }),
  };
}
