import { defineConfig } from "vitest/config";

// Packages export their TypeScript sources under the "source" condition (see CONTRIBUTING in the
// README); the same condition is used by tsx, so tests, `pnpm baton` and the services run the same code.
export default defineConfig({
  resolve: { conditions: ["source"] },
  ssr: { resolve: { conditions: ["source"] } },
  test: {
    include: ["packages/*/test/**/*.test.ts", "services/*/test/**/*.test.ts", "test/**/*.test.ts"],
    testTimeout: 60_000,
    hookTimeout: 60_000,
    pool: "forks",
    fileParallelism: true,
    passWithNoTests: true,
  },
});
