import { decodeEvent, isTerminal, replay, type AnyEvent, type AppHistory, type ConsoleAction, type DeadLetterView, type Phase, type ReleaseDetail, type ReleaseList, type ReleaseState, PHASES } from "@baton/contracts";
import type { Runtime } from "@baton/runtime";
import { atLeast, type Access, type Principal } from "../auth/index.js";
import { HttpError } from "../http.js";
import type { LiveHub } from "../live/hub.js";
import { ACTIONS, actionRefusal, publicView } from "./actions.js";
import { NEEDS_ATTENTION } from "./attention.js";
import { eventView, requesterOf, summaryOf } from "./views.js";

// The read side of the API: the releases list (newest first, filtered), one release with its
// events and the actions open to the reader, an app's history, dead letters. State comes from
// Redis and events from the stream, as `baton status` and `baton events` read them; a person sees
// only the namespaces a role gives them, and a release of another namespace is "not found".

export interface ListQuery {
  readonly namespace?: string;
  readonly app?: string;
  readonly phase?: string;
  readonly attention?: boolean;
  readonly limit?: number;
}

const NAME = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/;
const RELEASE_ID = /^[A-Za-z0-9_-]{1,63}$/;

export class ReadApi {
  constructor(
    private readonly rt: Runtime,
    private readonly hub: LiveHub,
    private readonly access: Access,
    private readonly window: number,
  ) {}

  async list(p: Principal, q: ListQuery): Promise<ReleaseList> {
    if (q.phase !== undefined && !PHASES.includes(q.phase as Phase)) throw new HttpError(400, `phase: must be one of ${PHASES.join(", ")}`);
    const ctx = { deadLetters: this.hub.deadLetterReleases() };
    const states = await this.rt.store.list(this.window);
    const releases = states
      .filter((s) => this.access.can(p, s.namespace, "viewer"))
      .filter((s) => (q.namespace === undefined || s.namespace === q.namespace) && (q.app === undefined || s.app === q.app) && (q.phase === undefined || s.phase === q.phase))
      .map((s) => summaryOf(s, ctx))
      .filter((s) => !q.attention || s.attention.length > 0)
      .slice(0, q.limit ?? 200);
    return { releases, deadLetters: this.deadLetters(p), attention: NEEDS_ATTENTION.map(({ id, label }) => ({ id, label })), window: this.window };
  }

  async detail(p: Principal, releaseId: string): Promise<ReleaseDetail> {
    if (!RELEASE_ID.test(releaseId)) throw new HttpError(400, "release id: 1-63 of [A-Za-z0-9_-]");
    const [stored, events] = await Promise.all([this.rt.store.get(releaseId), this.rt.bus.releaseEvents(releaseId)]);
    // State expired from Redis (past its retention) while the stream still has the events: rebuild it.
    const state = stored?.state ?? replay(events).state;
    if (state === undefined || !this.access.can(p, state.namespace, "viewer")) throw new HttpError(404, `no release ${releaseId}`);
    const spec = state.spec;
    return {
      release: summaryOf(state, { deadLetters: this.hub.deadLetterReleases() }),
      requestedBy: requesterOf(events),
      replicas: spec?.replicas ?? null,
      liveThreshold: spec?.liveThreshold ?? null,
      pods: state.pods,
      validation: state.validation,
      failures: state.outcome?.failures ?? [],
      drain: state.drain,
      shutdown: spec === null ? null : { delaySeconds: spec.shutdown.delaySeconds, gracePeriodSeconds: spec.shutdown.gracePeriodSeconds },
      forcedPods: state.forcedPods,
      postRelease: state.postRelease,
      events: events.map(eventView),
      actions: this.actionsFor(p, state),
      deadLetters: this.deadLetters(p).filter((l) => l.releaseId === releaseId),
    };
  }

  /** The release's state as stored, for an action (null when there is none or the person may not see it). */
  async stateFor(p: Principal, releaseId: string): Promise<ReleaseState> {
    if (!RELEASE_ID.test(releaseId)) throw new HttpError(400, "release id: 1-63 of [A-Za-z0-9_-]");
    const stored = await this.rt.store.get(releaseId);
    if (stored === null || !this.access.can(p, stored.state.namespace, "viewer")) throw new HttpError(404, `no release ${releaseId}`);
    return stored.state;
  }

  /** The actions this person may take on this release now (none for a viewer, none once it ended). */
  actionsFor(p: Principal, state: ReleaseState): ConsoleAction[] {
    if (isTerminal(state.phase)) return [];
    const role = this.access.roleIn(p, state.namespace);
    return ACTIONS.filter((a) => actionRefusal(a, state, role, atLeast) === undefined).map(publicView);
  }

  async app(p: Principal, namespace: string, app: string): Promise<AppHistory> {
    if (!NAME.test(namespace) || !NAME.test(app)) throw new HttpError(400, "namespace and app: DNS labels");
    if (!this.access.can(p, namespace, "viewer")) throw new HttpError(404, `no app ${namespace}/${app}`);
    const s = this.rt.bus.subjects;
    const raw = await this.rt.bus.readAll(s.eventsStream, s.ofApp(namespace, app));
    const byRelease = new Map<string, AnyEvent[]>();
    for (const m of raw) {
      const r = decodeEvent(m.data);
      if (!r.ok) continue;
      const list = byRelease.get(r.value.data.releaseId) ?? [];
      list.push(r.value);
      byRelease.set(r.value.data.releaseId, list);
    }
    const ctx = { deadLetters: this.hub.deadLetterReleases() };
    const releases = [...byRelease.values()]
      .flatMap((events) => {
        const state = replay(events).state;
        return state === undefined ? [] : [summaryOf(state, ctx)];
      })
      .sort((a, b) => Date.parse(b.createdAt) - Date.parse(a.createdAt));
    return { namespace, app, releases };
  }

  deadLetters(p: Principal): DeadLetterView[] {
    return this.hub
      .deadLetters()
      .filter((l) => this.access.can(p, l.namespace, "viewer"))
      .slice()
      .reverse();
  }
}
