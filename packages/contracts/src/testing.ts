// Builders for tests: a valid spec and events of one release, with overrides.
import { makeEvent, type BatonEvent } from "./envelope.js";
import type { EventDataInput, EventName } from "./events.js";
import { ReleaseSpec, type ReleaseSpecInput } from "./spec.js";

export function specInput(overrides: Partial<ReleaseSpecInput> = {}): ReleaseSpecInput {
  return { app: "web", namespace: "shop", image: "baton.dev/demo-app:2.0.0", replicas: 2, ...overrides };
}

export function spec(overrides: Partial<ReleaseSpecInput> = {}) {
  return ReleaseSpec.parse(specInput(overrides));
}

type Extra<N extends EventName> = Omit<EventDataInput<N>, "releaseId" | "app" | "namespace">;

/** An event factory for one release; each event is 1 s after the previous one. */
export function releaseEvents(releaseId = "rel-1", app = "web", namespace = "shop", start = Date.UTC(2026, 0, 1)) {
  let t = start;
  return function ev<N extends EventName>(name: N, data: Extra<N>, step?: string): BatonEvent<N> {
    t += 1000;
    const full = { releaseId, app, namespace, ...data } as EventDataInput<N>;
    return makeEvent(name, full, { source: "test", time: new Date(t).toISOString(), ...(step ? { step } : {}) });
  };
}
