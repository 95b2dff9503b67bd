import { defineConfig } from "vite";

// The console's front end: Preact with JSX compiled by Vite's own transformer (no Babel, no
// plugin), one hashed bundle under assets/ (served with a one-year immutable cache).
export default defineConfig({
  oxc: { jsx: { runtime: "automatic", importSource: "preact" } },
  resolve: { conditions: ["source"] },
  build: {
    target: "es2022",
    outDir: "dist",
    emptyOutDir: true,
    assetsInlineLimit: 0, // no inline data: every asset is a file (the page's CSP allows 'self')
    sourcemap: true,
    reportCompressedSize: true,
  },
});
