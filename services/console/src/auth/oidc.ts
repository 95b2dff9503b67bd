import * as client from "openid-client";
import type { ConsoleConfig } from "../config.js";
import { HttpError } from "../http.js";

// Sign-in with OpenID Connect: authorization code flow with PKCE (S256), state and nonce, against
// any provider (discovered from its issuer URL). The flow's secrets (PKCE verifier, state, nonce)
// travel in a signed, HttpOnly cookie for the ten minutes the sign-in may take, so the replica that
// answers the callback need not be the one that started it.

export interface FlowState {
  readonly verifier: string;
  readonly state: string;
  readonly nonce: string;
  readonly returnTo: string;
  readonly exp: number;
}

export interface Identity {
  readonly user: string;
  readonly groups: string[];
}

type OidcConfig = NonNullable<ConsoleConfig["oidc"]>;

const FLOW_TTL_MS = 10 * 60_000;

export class OidcLogin {
  private discovered: Promise<client.Configuration> | undefined;

  constructor(
    private readonly cfg: OidcConfig,
    private readonly redirectUri: URL,
  ) {}

  /** The provider's metadata, discovered on first use (a provider down at start does not stop the console) and again after a failure. */
  private configuration(): Promise<client.Configuration> {
    this.discovered ??= this.discover().catch((err: unknown) => {
      this.discovered = undefined;
      throw new HttpError(502, `the sign-in provider ${this.cfg.issuer} could not be reached: ${(err as Error).message}`);
    });
    return this.discovered;
  }

  private async discover(): Promise<client.Configuration> {
    const issuer = new URL(this.cfg.issuer);
    const secret = this.cfg.clientSecret;
    const method = this.cfg.tokenEndpointAuth ?? (secret === null ? "none" : "client_secret_basic");
    if (method !== "none" && secret === null) throw new Error(`tokenEndpointAuth ${method} needs BATON_CONSOLE_OIDC_CLIENT_SECRET`);
    const auth = method === "none" ? client.None() : method === "client_secret_post" ? client.ClientSecretPost(secret ?? "") : client.ClientSecretBasic(secret ?? "");
    // Plain http only to a provider on this machine (a development provider); anything else must be https.
    const local = issuer.protocol === "http:" && ["localhost", "127.0.0.1", "[::1]"].includes(issuer.hostname);
    return client.discovery(issuer, this.cfg.clientId, undefined, auth, local ? { execute: [client.allowInsecureRequests] } : {});
  }

  /** Where to send the browser, and the flow state to keep in the flow cookie. */
  async start(returnTo: string, now = Date.now()): Promise<{ url: URL; flow: FlowState }> {
    const config = await this.configuration();
    const verifier = client.randomPKCECodeVerifier();
    const flow: FlowState = { verifier, state: client.randomState(), nonce: client.randomNonce(), returnTo, exp: now + FLOW_TTL_MS };
    const url = client.buildAuthorizationUrl(config, {
      redirect_uri: this.redirectUri.href,
      scope: this.cfg.scopes.join(" "),
      code_challenge: await client.calculatePKCECodeChallenge(verifier),
      code_challenge_method: "S256",
      state: flow.state,
      nonce: flow.nonce,
    });
    return { url, flow };
  }

  /** Exchanges the code (checking state, nonce and PKCE) and reads who signed in and their groups. */
  async finish(callbackUrl: URL, flow: FlowState | null, now = Date.now()): Promise<Identity> {
    if (flow === null || flow.exp <= now) throw new HttpError(400, "sign-in: no sign-in in progress in this browser, or it took over 10 minutes: sign in again");
    const providerError = callbackUrl.searchParams.get("error");
    if (providerError !== null) throw new HttpError(401, `sign-in refused by the provider: ${providerError}${describe(callbackUrl.searchParams.get("error_description"))}`);
    const config = await this.configuration();
    let tokens: Awaited<ReturnType<typeof client.authorizationCodeGrant>>;
    try {
      tokens = await client.authorizationCodeGrant(config, callbackUrl, { pkceCodeVerifier: flow.verifier, expectedState: flow.state, expectedNonce: flow.nonce, idTokenExpected: true });
    } catch (err) {
      throw new HttpError(401, `sign-in failed: ${(err as Error).message}`);
    }
    const claims: Record<string, unknown> = tokens.claims() ?? {};
    let groups = claims[this.cfg.groupsClaim];
    let user = claims[this.cfg.userClaim];
    if (groups === undefined || user === undefined) {
      // Many providers put profile claims in the userinfo answer only.
      const info = await client.fetchUserInfo(config, tokens.access_token, String(claims.sub));
      groups ??= info[this.cfg.groupsClaim];
      user ??= info[this.cfg.userClaim];
    }
    return { user: typeof user === "string" && user !== "" ? user : String(claims.sub), groups: Array.isArray(groups) ? groups.filter((g): g is string => typeof g === "string") : [] };
  }
}

function describe(text: string | null): string {
  return text === null ? "" : ` (${text.slice(0, 200)})`;
}
