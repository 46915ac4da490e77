// e2e: the production console (built and served by the same launcher as `pnpm start`,
// with a fresh embedded store) driven in Debian's Chromium.
import path from "node:path";
import { defineConfig } from "@playwright/test";

const port = Number(process.env.E2E_PORT ?? 3107);
const repoRoot = path.resolve(import.meta.dirname, "..");
const artifacts = path.join(import.meta.dirname, "artifacts");
const storeDir = path.join(artifacts, "store");

export default defineConfig({
  testDir: "tests",
  outputDir: path.join(artifacts, "results"),
  fullyParallel: false,
  workers: 1,
  retries: 0,
  timeout: 60_000,
  reporter: [["list"]],
  use: {
    baseURL: `http://127.0.0.1:${port}`,
    viewport: { width: 1280, height: 720 },
    screenshot: "only-on-failure",
    trace: "retain-on-failure",
    launchOptions: {
      executablePath: process.env.CHROMIUM_PATH ?? "/usr/bin/chromium",
      args: [
        "--headless",
        "--no-sandbox",
        "--disable-gpu",
        "--disable-quic",
        "--disable-background-networking",
        "--disable-component-update",
        "--disable-sync",
        "--no-first-run",
      ],
    },
  },
  webServer: {
    command: `rm -rf '${storeDir}' && exec node '${path.join(repoRoot, "node_modules/tsx/dist/cli.mjs")}' '${path.join(repoRoot, "apps/web/scripts/serve.ts")}' start`,
    url: `http://127.0.0.1:${port}/api/trpc/system.health`,
    env: { PORT: String(port), HOST: "127.0.0.1", PGRESCUE_DATA_DIR: storeDir, DATABASE_URL: "" },
    timeout: 300_000,
    reuseExistingServer: false,
    stdout: "pipe",
    stderr: "pipe",
    gracefulShutdown: { signal: "SIGTERM", timeout: 10_000 },
  },
});
