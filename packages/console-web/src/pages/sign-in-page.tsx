import { useEffect, useState } from "preact/hooks";
import type { ConsoleMe, ConsoleSignIn } from "@baton/contracts";
import { ApiFailure, api } from "../api";

// Sign in: with the organisation's OpenID Connect provider, or with an access token (small installs).

export function SignInPage({ onSignedIn }: { onSignedIn: (me: ConsoleMe) => void }) {
  const [ways, setWays] = useState<ConsoleSignIn | null>(null);
  const [token, setToken] = useState("");
  const [error, setError] = useState("");
  useEffect(() => {
    void api.signIn().then(setWays, (e: Error) => setError(e.message));
  }, []);
  const returnTo = encodeURIComponent(location.pathname + location.search);
  const submit = async (e: Event) => {
    e.preventDefault();
    setError("");
    try {
      onSignedIn(await api.tokenSignIn(token));
    } catch (err) {
      setError(err instanceof ApiFailure ? err.message : String(err));
    }
  };
  return (
    <main id="main" class="sign-in">
      <h1>Sign in to Baton</h1>
      {ways?.oidc && (
        <p>
          <a class="button primary" href={`/auth/login?returnTo=${returnTo}`}>
            Sign in with {ways.oidc.name}
          </a>
        </p>
      )}
      {ways?.tokens && (
        <form onSubmit={submit} class="token-form">
          <label class="field">
            Access token
            <input type="password" autocomplete="off" value={token} required onInput={(e) => setToken((e.currentTarget as HTMLInputElement).value)} />
          </label>
          <button class="button" type="submit">
            Sign in with a token
          </button>
        </form>
      )}
      {error && (
        <p role="alert" class="result error">
          {error}
        </p>
      )}
    </main>
  );
}
