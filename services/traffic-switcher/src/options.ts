// Timings of the switch. Defaults suit a real cluster; tests may shorten them.

export interface SwitcherOptions {
  /** How long the confirm step polls the production EndpointSlices after a selector change. */
  readonly confirmTimeoutMs: number;
  /** How often it polls. */
  readonly pollMs: number;
  /**
   * How long one delivery keeps re-checking for enough ready endpoints before it holds back (the
   * bus keeps the message alive meanwhile). With the hold-back below and BATON_MAX_DELIVER 20 a
   * release could wait about 10 minutes for ready endpoints in all, far longer than the promoting
   * deadline (120 s by default), which therefore rolls it back first (switching back if needed).
   */
  readonly readyWaitMs: number;
  /** Delay before the next attempt when the step must hold back (not enough ready endpoints). */
  readonly holdBackMs: (attempt: number) => number;
}

export const DEFAULT_SWITCHER_OPTIONS: SwitcherOptions = {
  confirmTimeoutMs: 5000,
  pollMs: 25,
  readyWaitMs: 25_000,
  holdBackMs: (attempt) => Math.min(5000, 500 * Math.max(1, attempt)),
};

export function switcherOptions(overrides: Partial<SwitcherOptions> = {}): SwitcherOptions {
  return { ...DEFAULT_SWITCHER_OPTIONS, ...overrides };
}
