import type { EventName, ReleaseState } from "@baton/contracts";
import { TerminalError, type HandlerContext } from "@baton/runtime";
import type { Target } from "../deps.js";

type Spec = NonNullable<ReleaseState["spec"]>;

/** The release a handler works on, with its revision and spec (both set once it is planned). */
export function targetOf<N extends EventName>(ctx: HandlerContext<N>): { t: Target; spec: Spec } {
  const { state, release } = ctx;
  if (state.revision === null || state.spec === null) {
    throw new TerminalError(`release ${release.releaseId} has no revision or spec in its state (phase ${state.phase})`);
  }
  return { t: { ...release, revision: state.revision }, spec: state.spec };
}
