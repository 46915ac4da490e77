// Test tiers: `unit` (pure, fast, *.test.ts) and `integration` (*.integration.test.ts:
// real lab hosts with real sshd and PostgreSQL, a real PostgreSQL store).
import { fileURLToPath } from "node:url";
import { defineConfig } from "vitest/config";

const serverOnly = fileURLToPath(new URL("./test/server-only.ts", import.meta.url));

export default defineConfig({
  resolve: { alias: { "server-only": serverOnly } },
  // apps/web's tsconfig keeps JSX for Next.js ("preserve"); the UI's unit tests render components with React's own.
  oxc: { jsx: { runtime: "automatic" } },
  test: {
    projects: [
      {
        extends: true,
        test: {
          name: "unit",
          include: [
            "packages/*/src/**/*.test.ts",
            "apps/web/src/**/*.test.ts",
            "bench/src/**/*.test.ts",
            "test/**/*.test.ts",
          ],
          exclude: ["**/*.integration.test.ts", "**/node_modules/**"],
          environment: "node",
        },
      },
      {
        extends: true,
        test: {
          name: "integration",
          include: [
            "packages/*/src/**/*.integration.test.ts",
            "apps/web/src/**/*.integration.test.ts",
            "apps/web/scripts/**/*.integration.test.ts",
            "test/**/*.integration.test.ts",
          ],
          exclude: ["**/node_modules/**"],
          environment: "node",
          testTimeout: 120_000,
          hookTimeout: 180_000,
          fileParallelism: false,
        },
      },
    ],
  },
});
