// Who a request is from: a signed-in person (OIDC or a static token, by session cookie) or a
// script presenting a static bearer token.

export interface Principal {
  /** Recorded as `by` in the control events this principal sends. */
  readonly user: string;
  readonly via: "oidc" | "token" | "none";
  readonly groups: readonly string[];
  /** The session's id (the CSRF token is derived from it); null for a bearer-token request. */
  readonly sid: string | null;
  /** When the session ends (ms since the epoch); null for a bearer-token request. */
  readonly expiresAt: number | null;
}
