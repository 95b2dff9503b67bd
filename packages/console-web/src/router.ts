import { useEffect, useState } from "preact/hooks";

// A router of a few lines: the page follows location.pathname and .search; links push history.

export type Route =
  | { readonly page: "releases"; readonly query: URLSearchParams }
  | { readonly page: "release"; readonly id: string }
  | { readonly page: "app"; readonly namespace: string; readonly app: string }
  | { readonly page: "not-found" };

export function parseRoute(path: string, search: string): Route {
  const parts = path.split("/").filter(Boolean).map(decodeURIComponent);
  if (parts.length === 0) return { page: "releases", query: new URLSearchParams(search) };
  if (parts[0] === "releases" && parts.length === 2) return { page: "release", id: parts[1] as string };
  if (parts[0] === "apps" && parts.length === 3) return { page: "app", namespace: parts[1] as string, app: parts[2] as string };
  return { page: "not-found" };
}

const listeners = new Set<() => void>();

export function navigate(to: string, replace = false): void {
  if (replace) history.replaceState(null, "", to);
  else history.pushState(null, "", to);
  for (const l of listeners) l();
  if (!replace) window.scrollTo(0, 0);
}

export function useRoute(): Route {
  const read = () => parseRoute(location.pathname, location.search);
  const [route, setRoute] = useState<Route>(read);
  useEffect(() => {
    const update = () => setRoute(read());
    listeners.add(update);
    window.addEventListener("popstate", update);
    return () => {
      listeners.delete(update);
      window.removeEventListener("popstate", update);
    };
  }, []);
  return route;
}

/** A same-page link: a real <a href> (opens in a new tab too), navigated without a reload. */
export function onLink(e: MouseEvent): void {
  const a = (e.currentTarget as HTMLAnchorElement | null) ?? null;
  if (a === null || e.button !== 0 || e.metaKey || e.ctrlKey || e.shiftKey || e.altKey) return;
  e.preventDefault();
  navigate(a.getAttribute("href") ?? "/");
}

export const releasePath = (id: string) => `/releases/${encodeURIComponent(id)}`;
export const appPath = (namespace: string, app: string) => `/apps/${encodeURIComponent(namespace)}/${encodeURIComponent(app)}`;
