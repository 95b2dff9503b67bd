import { z } from "zod";

// Warnings: something about a release a person should know, that does not stop it. ReleasePlanned
// carries the plan-time ones (from the pod template the release will create); ValidationFailed
// carries what the validator saw that explains a failure. `code` is for programs, `message` for
// people; both are public contract (the CLI and the console show them).

export const Warning = z.strictObject({
  code: z.string().regex(/^[a-z][a-z0-9_]*$/, "must be a snake_case code").max(63),
  message: z.string().min(1).max(1024),
});
export type Warning = z.infer<typeof Warning>;

export const Warnings = z.array(Warning).max(20);

/** A release's pods have no readinessProbe on the container serving `port` (ReleasePlanned). */
export const NO_READINESS_PROBE = "no_readiness_probe";
/** Validation failed with 503s while v2's probe-less pods had only just started (ValidationFailed). */
export const STARTING_PODS = "starting_pods";

const NO_PROBE_TEXT = "no readinessProbe: pods count as live as soon as they start; validation may reach an app that is still starting";

export function noReadinessProbe(container: string, port: number): Warning {
  return { code: NO_READINESS_PROBE, message: `${NO_PROBE_TEXT} (container "${container}", port ${port})` };
}

/** `secondsAfterLive`: when the first 503 was sent, counted from PodsLive (at most this old, the youngest pod). */
export function startingPods(secondsAfterLive: number): Warning {
  const s = Math.max(0, Math.round(secondsAfterLive * 10) / 10);
  return { code: STARTING_PODS, message: `503 from v2 ${s}s after its pods went live, and they have ${NO_PROBE_TEXT}` };
}
