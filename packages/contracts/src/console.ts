import type { AnyEvent } from "./envelope.js";
import type { ActivityResult, CheckResult, Failure, Stage, WarmupResult } from "./events.js";
import type { Phase } from "./state.js";

// The console's HTTP API: what services/console serves and packages/console-web reads. Types only,
// so the front end imports them and no code of ours (a type import is erased from its bundle).

/** Rights in a namespace, each including the one before: read; act on releases; everything. */
export type ConsoleRole = "viewer" | "operator" | "admin";

/** GET /api/me: who is signed in, their role per namespace ("*" = every namespace), the CSRF token for actions. */
export interface ConsoleMe {
  readonly user: string;
  readonly via: "oidc" | "token" | "none";
  readonly roles: readonly { readonly namespace: string; readonly role: ConsoleRole }[];
  readonly csrfToken: string;
}

/** GET /api/auth: how one can sign in here (before signing in). */
export interface ConsoleSignIn {
  readonly oidc: { readonly name: string } | null;
  readonly tokens: boolean;
}

/** One row of the releases list; pushed again whenever an event changes it. */
export interface ReleaseSummary {
  readonly releaseId: string;
  readonly app: string | null;
  readonly namespace: string | null;
  readonly phase: Phase;
  readonly revision: number | null;
  readonly previousRevision: number | null;
  readonly image: string | null;
  /** The image's tag (or digest), what people call the version. */
  readonly version: string | null;
  readonly promotion: "auto" | "manual" | null;
  readonly createdAt: string;
  readonly updatedAt: string;
  readonly enteredAt: Partial<Record<Phase, string>>;
  readonly approvedBy: string | null;
  readonly abortedBy: string | null;
  readonly outcome: { readonly reason: string; readonly stage: Stage | null } | null;
  /** Ids of the "needs attention" reasons that hold (see GET /api/attention for their labels). */
  readonly attention: readonly string[];
}

/** A "needs attention" reason, as the filter offers it. */
export interface AttentionReason {
  readonly id: string;
  readonly label: string;
}

/** An event of a release as stored on the stream (CloudEvent with its contract name). */
export type ConsoleEvent = Pick<AnyEvent, "id" | "name" | "time" | "source" | "data">;

/** An action a person may take on a release now (phase and role allow it): the page shows exactly these. */
export interface ConsoleAction {
  readonly id: string;
  readonly label: string;
  /** What the confirmation asks, in words. */
  readonly confirm: string;
  readonly danger: boolean;
  readonly reason: "none" | "optional" | "required";
}

/** POST /api/releases/:id/actions/:action */
export interface ActionRequest {
  readonly reason?: string;
}
export interface ActionResponse {
  readonly accepted: boolean;
  readonly event: string;
  readonly reason?: string;
}

/** A pod of one revision of the app, from the console's watch of the cluster. */
export interface PodView {
  readonly name: string;
  readonly revision: number;
  readonly phase: string;
  readonly ready: boolean;
  readonly terminating: boolean;
  readonly reason?: string;
}

/** v1 (the previous revision) and v2 (this release's) pods. */
export interface PodsView {
  /** false when the console cannot see the cluster (no access, or watch off): the reason says why. */
  readonly available: boolean;
  readonly reason?: string;
  readonly v1: readonly PodView[];
  readonly v2: readonly PodView[];
}

/** A message parked in the dead-letter stream, as the console shows it (payload left out). */
export interface DeadLetterView {
  readonly seq: number;
  readonly at: string;
  readonly stage: string;
  readonly event: string;
  readonly attempts: number;
  readonly kind: string;
  readonly error: string;
  readonly releaseId: string | null;
  readonly namespace: string | null;
  readonly app: string | null;
}

/** GET /api/releases/:id */
export interface ReleaseDetail {
  readonly release: ReleaseSummary;
  /** Who asked for it (the intake's `requestedBy`), when the request said. */
  readonly requestedBy: string | null;
  readonly replicas: number | null;
  readonly liveThreshold: number | null;
  readonly pods: { readonly ready: number; readonly desired: number } | null;
  readonly validation: { readonly checks: readonly CheckResult[]; readonly warmup: WarmupResult | null } | null;
  readonly failures: readonly Failure[];
  readonly drain: { readonly pods: number; readonly gracePeriodSeconds: number } | null;
  readonly shutdown: { readonly delaySeconds: number; readonly gracePeriodSeconds: number } | null;
  readonly forcedPods: number | null;
  readonly postRelease: readonly ActivityResult[];
  readonly events: readonly ConsoleEvent[];
  readonly actions: readonly ConsoleAction[];
  readonly deadLetters: readonly DeadLetterView[];
}

/** GET /api/apps/:namespace/:app: every release of the app still on the stream, newest first. */
export interface AppHistory {
  readonly namespace: string;
  readonly app: string;
  readonly releases: readonly ReleaseSummary[];
}

/** GET /api/releases */
export interface ReleaseList {
  readonly releases: readonly ReleaseSummary[];
  readonly deadLetters: readonly DeadLetterView[];
  readonly attention: readonly AttentionReason[];
  /** How many of the most recent releases were looked at (older ones are not listed). */
  readonly window: number;
}

/** What GET /api/stream (server-sent events, `data:` lines of JSON) pushes. */
export type StreamMessage =
  | { readonly type: "release"; readonly release: ReleaseSummary }
  | { readonly type: "event"; readonly releaseId: string; readonly event: ConsoleEvent }
  | { readonly type: "progress"; readonly releaseId: string; readonly progress: Readonly<Record<string, unknown>> }
  | { readonly type: "dead-letter"; readonly letter: DeadLetterView }
  | { readonly type: "pods"; readonly releaseId: string; readonly pods: PodsView }
  /** The actions open to this user changed (the phase moved): re-read them. */
  | { readonly type: "actions"; readonly releaseId: string; readonly actions: readonly ConsoleAction[] };

/** Every error answer of the API. */
export interface ApiError {
  readonly error: string;
}
