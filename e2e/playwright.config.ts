// e2e: the production console (built and served by the same launcher as `pnpm start`,
// with a fresh embedded store and a fixed first-admin token) driven in Debian's Chromium.
import path from "node:path";
import { defineConfig } from "@playwright/test";
import { BASE_URL, E2E_ADMIN, E2E_PORT, E2E_TOKEN, RESULTS_DIR, STORE_DIR } from "./support.ts";

const repoRoot = path.resolve(import.meta.dirname, "..");
export default defineConfig({
  testDir: "tests",
  outputDir: RESULTS_DIR,
  fullyParallel: false,
  workers: 1,
  retries: 0,
  timeout: 60_000,
  reporter: [["list"]],
  use: {
    baseURL: BASE_URL,
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
    command: `rm -rf '${STORE_DIR}' && exec node '${path.join(repoRoot, "node_modules/tsx/dist/cli.mjs")}' '${path.join(repoRoot, "apps/web/scripts/serve.ts")}' start`,
    url: `${BASE_URL}/api/trpc/system.health`,
    env: {
      PORT: String(E2E_PORT),
      HOST: "127.0.0.1",
      PGRESCUE_DATA_DIR: STORE_DIR,
      DATABASE_URL: "",
      PGRESCUE_ADMIN_EMAIL: E2E_ADMIN.email,
      PGRESCUE_ADMIN_PASSWORD: E2E_ADMIN.password,
      PGRESCUE_BOOTSTRAP_TOKEN: E2E_TOKEN,
      // every spec signs in from 127.0.0.1; the per-address limit itself is tested against the API
      PGRESCUE_SIGN_IN_PER_MINUTE: "120",
      // a run on its own port builds into its own directory, so parallel runs do not overwrite each other
      ...(process.env.E2E_PORT === undefined
        ? {}
        : { PGRESCUE_DIST_DIR: `.next-e2e-${String(E2E_PORT)}` }),
    },
    timeout: 300_000,
    reuseExistingServer: false,
    stdout: "pipe",
    stderr: "pipe",
    gracefulShutdown: { signal: "SIGTERM", timeout: 10_000 },
  },
});
