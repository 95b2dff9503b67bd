// Timings of the switch. Defaults suit a real cluster; tests may shorten them.

export interface SwitcherOptions {
  /** How long the confirm step polls the production Endpoints after a selector change. */
  readonly confirmTimeoutMs: number;
  /** How often it polls. */
  readonly pollMs: number;
  /**
   * Delay before the next attempt when the step must hold back (not enough ready endpoints).
   * With BATON_MAX_DELIVER 5 the defaults wait about 5 s in all; after that the message is
   * dead-lettered and the promoting deadline rolls the release back (switching back if needed).
   */
  readonly holdBackMs: (attempt: number) => number;
}

export const DEFAULT_SWITCHER_OPTIONS: SwitcherOptions = {
  confirmTimeoutMs: 5000,
  pollMs: 25,
  holdBackMs: (attempt) => Math.min(5000, 500 * Math.max(1, attempt)),
};

export function switcherOptions(overrides: Partial<SwitcherOptions> = {}): SwitcherOptions {
  return { ...DEFAULT_SWITCHER_OPTIONS, ...overrides };
}
