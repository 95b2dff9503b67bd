/** Calls `fn` at most once per `everyMs`, and always for the last call (`flush`). */
export function throttle<A extends unknown[]>(everyMs: number, fn: (...args: A) => void): { call: (...args: A) => void; flush: () => void } {
  let last = 0;
  let pending: A | undefined;
  return {
    call(...args: A) {
      const now = Date.now();
      if (now - last >= everyMs) {
        last = now;
        pending = undefined;
        fn(...args);
      } else pending = args;
    },
    flush() {
      if (pending !== undefined) fn(...pending);
      pending = undefined;
    },
  };
}
