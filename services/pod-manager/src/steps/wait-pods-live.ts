import type { PodManagerDeps, Target } from "../deps.js";
import { countReady, podsOfRevision } from "./pod-status.js";

// Waits, without polling the API server, until `threshold` pods of the revision are Ready (woken
// by the shared pod watch), reporting every change of the count. It also stops when the release no
// longer waits (aborted, deadline passed: checked in the store every `recheckMs`), when the
// delivery is cancelled (shutdown), or after `boundMs` (the handler then asks for a redelivery).

export type WaitResult =
  | { readonly kind: "live"; readonly ready: number; readonly desired: number }
  | { readonly kind: "moved-on" }
  | { readonly kind: "cancelled"; readonly ready: number }
  | { readonly kind: "bound"; readonly ready: number };

export interface WaitOptions {
  readonly threshold: number;
  readonly desired: number;
  readonly boundMs: number;
  readonly recheckMs: number;
  readonly signal: AbortSignal;
  /** False once the release stopped waiting for its pods. */
  readonly stillWaiting: () => Promise<boolean>;
  readonly onProgress: (ready: number, desired: number) => void;
}

export function waitPodsLive(deps: PodManagerDeps, t: Target, o: WaitOptions): Promise<WaitResult> {
  return new Promise((resolve) => {
    let ready = -1;
    let settled = false;
    let unsubscribe: (() => void) | undefined;
    const finish = (r: WaitResult) => {
      if (settled) return;
      settled = true;
      unsubscribe?.(); // undefined when the first (synchronous) call of the listener finishes the wait
      clearTimeout(bound);
      clearInterval(recheck);
      o.signal.removeEventListener("abort", onAbort);
      resolve(r);
    };
    const onAbort = () => finish({ kind: "cancelled", ready: Math.max(0, ready) });
    const bound = setTimeout(() => finish({ kind: "bound", ready: Math.max(0, ready) }), o.boundMs);
    const recheck = setInterval(() => {
      o.stillWaiting().then(
        (waiting) => waiting || finish({ kind: "moved-on" }),
        () => undefined, // Redis hiccup: keep waiting, check again next time
      );
    }, o.recheckMs);
    if (o.signal.aborted) return onAbort();
    o.signal.addEventListener("abort", onAbort, { once: true });
    const off = deps.pods.subscribe(t.namespace, (pods) => {
      const now = countReady(podsOfRevision(pods, t.app, t.revision));
      if (now !== ready) {
        ready = now;
        o.onProgress(ready, o.desired);
      }
      if (ready >= o.threshold) finish({ kind: "live", ready, desired: o.desired });
    });
    if (settled) off();
    else unsubscribe = off;
  });
}
