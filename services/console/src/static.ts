import { existsSync, readFileSync } from "node:fs";
import { readFile, stat } from "node:fs/promises";
import type { IncomingMessage, ServerResponse } from "node:http";
import { createRequire } from "node:module";
import { dirname, extname, join, normalize, sep } from "node:path";
import { gzipSync } from "node:zlib";
import { SECURITY_HEADERS, contentSecurityPolicy } from "./http.js";

// The built front end (packages/console-web, `pnpm build`): files under assets/ carry a content
// hash in their name, so they are cached for a year and never revalidated; index.html (every page
// route) is revalidated each time, so a new build is picked up at once. Text is sent gzipped.

const TYPES: Readonly<Record<string, string>> = {
  ".html": "text/html; charset=utf-8",
  ".js": "text/javascript; charset=utf-8",
  ".css": "text/css; charset=utf-8",
  ".svg": "image/svg+xml",
  ".png": "image/png",
  ".ico": "image/x-icon",
  ".json": "application/json",
  ".woff2": "font/woff2",
  ".map": "application/json",
};
const COMPRESSIBLE = new Set([".html", ".js", ".css", ".svg", ".json", ".map"]);

export const IMMUTABLE = "public, max-age=31536000, immutable";
export const REVALIDATE = "no-cache";

/** Where @baton/console-web's dist/ is (the service depends on it for its files only). */
export function defaultStaticDir(): string | null {
  try {
    const pkg = createRequire(import.meta.url).resolve("@baton/console-web/package.json");
    const dir = join(dirname(pkg), "dist");
    return existsSync(join(dir, "index.html")) ? dir : null;
  } catch {
    return null;
  }
}

export class StaticFiles {
  private readonly gz = new Map<string, Buffer>();
  private readonly index: Buffer | null;

  constructor(
    private readonly dir: string | null,
    /** Where the sign-in form may post (the OIDC provider), for the page's CSP. */
    private readonly formTargets: readonly string[],
  ) {
    this.index = dir === null || !existsSync(join(dir, "index.html")) ? null : readFileSync(join(dir, "index.html"));
  }

  get built(): boolean {
    return this.index !== null;
  }

  async serve(req: IncomingMessage, res: ServerResponse, path: string): Promise<void> {
    if (this.dir === null || this.index === null) {
      res.writeHead(503, { ...SECURITY_HEADERS, "content-type": "text/plain; charset=utf-8", "cache-control": "no-store" });
      res.end("The console's front end is not built: run `pnpm build` (or set BATON_CONSOLE_STATIC_DIR).\n");
      return;
    }
    if (path.startsWith("/assets/") || path === "/favicon.svg") {
      const file = this.resolve(path);
      const info = file === null ? null : await stat(file).catch(() => null);
      if (file !== null && info?.isFile()) return this.send(req, res, file, await readFile(file), path.startsWith("/assets/") ? IMMUTABLE : REVALIDATE);
      res.writeHead(404, { ...SECURITY_HEADERS, "content-type": "text/plain", "cache-control": "no-store" }).end("not found\n");
      return;
    }
    // Any other path is a page of the single-page app.
    this.send(req, res, "index.html", this.index, REVALIDATE);
  }

  /** A path inside the directory, or null (no `..` out of it). */
  private resolve(path: string): string | null {
    const dir = this.dir as string;
    let decoded: string;
    try {
      decoded = decodeURIComponent(path);
    } catch {
      return null;
    }
    const full = normalize(join(dir, decoded));
    return full.startsWith(dir + sep) ? full : null;
  }

  private send(req: IncomingMessage, res: ServerResponse, file: string, body: Buffer, cacheControl: string): void {
    const ext = extname(file);
    const headers: Record<string, string> = {
      ...SECURITY_HEADERS,
      "content-type": TYPES[ext] ?? "application/octet-stream",
      "cache-control": cacheControl,
      vary: "accept-encoding",
    };
    if (ext === ".html") headers["content-security-policy"] = contentSecurityPolicy(this.formTargets);
    let out = body;
    if (COMPRESSIBLE.has(ext) && /\bgzip\b/.test(String(req.headers["accept-encoding"] ?? "")) && body.length > 512) {
      out = this.gz.get(file) ?? gzipSync(body);
      if (cacheControl === IMMUTABLE || ext === ".html") this.gz.set(file, out);
      headers["content-encoding"] = "gzip";
    }
    headers["content-length"] = String(out.length);
    res.writeHead(200, headers);
    res.end(req.method === "HEAD" ? undefined : out);
  }
}
