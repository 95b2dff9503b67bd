import { useEffect, useState } from "preact/hooks";
import type { ConsoleMe } from "@baton/contracts";
import { ApiFailure, api } from "./api";
import { AppPage } from "./pages/app-page";
import { ReleasePage } from "./pages/release-page";
import { ReleasesPage } from "./pages/releases-page";
import { SignInPage } from "./pages/sign-in-page";
import { navigate, onLink, useRoute } from "./router";

// The shell: who is signed in (else the sign-in page), the header, and one page per question.

function roleSummary(me: ConsoleMe): string {
  return me.roles.map((r) => `${r.role} in ${r.namespace === "*" ? "every namespace" : r.namespace}`).join(", ") || "no role";
}

export function App() {
  const [me, setMe] = useState<ConsoleMe | null | "signed-out">(null);
  const [error, setError] = useState("");
  const route = useRoute();
  useEffect(() => {
    api.me().then(setMe, (e: Error) => (e instanceof ApiFailure && e.status === 401 ? setMe("signed-out") : setError(e.message)));
  }, []);
  if (error) return <p role="alert" class="result error">{error}</p>;
  if (me === null) return <p aria-busy="true">Loading…</p>;
  if (me === "signed-out") return <SignInPage onSignedIn={setMe} />;
  const signOut = async () => {
    await api.signOut().catch(() => undefined);
    setMe("signed-out");
    navigate("/");
  };
  return (
    <>
      <a class="skip" href="#main">
        Skip to content
      </a>
      <header class="top">
        <a class="brand" href="/" onClick={onLink}>
          Baton
        </a>
        <nav aria-label="Main">
          <a href="/" onClick={onLink} aria-current={route.page === "releases" && !route.query.get("attention") ? "page" : undefined}>
            Releases
          </a>
          <a href="/?attention=true" onClick={onLink} aria-current={route.page === "releases" && route.query.get("attention") ? "page" : undefined}>
            Needs attention
          </a>
        </nav>
        <div class="who">
          <span class="user" title={roleSummary(me)}>
            {me.user} <span class="muted">({roleSummary(me)})</span>
          </span>
          {me.via !== "none" && (
            <button type="button" class="button small" onClick={() => void signOut()}>
              Sign out
            </button>
          )}
        </div>
      </header>
      <main id="main">
        {route.page === "releases" && <ReleasesPage query={route.query} me={me} />}
        {route.page === "release" && <ReleasePage id={route.id} />}
        {route.page === "app" && <AppPage namespace={route.namespace} app={route.app} />}
        {route.page === "not-found" && (
          <>
            <h1>Not found</h1>
            <p>
              <a href="/" onClick={onLink}>
                All releases
              </a>
            </p>
          </>
        )}
      </main>
    </>
  );
}
