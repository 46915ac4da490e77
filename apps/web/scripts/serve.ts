// Runs the console: opens the store (embedded unless DATABASE_URL is set), applies
// migrations, builds the production app when its sources changed, then serves it from this
// process — Next.js's request handler behind the console's front (client address from the
// socket or trusted proxies, body limits, security headers) — and shuts the store down cleanly
// on exit.
import { spawnSync } from "node:child_process";
import { createHash } from "node:crypto";
import { existsSync, readdirSync, readFileSync, statSync, writeFileSync } from "node:fs";
import { createServer } from "node:http";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { createFrontHandler, createFrontSecret } from "@pgrescue/api/front";
import {
  bootstrapFirstAdmin,
  findInterruptedRotation,
  issueSetupToken,
  markInterruptedSteps,
} from "@pgrescue/api/startup";
import type { TDb } from "@pgrescue/db";
import { readLauncherEnv, type TLauncherEnv } from "../src/env.ts";
import { consoleDataDir, migrationsDir, openConsoleStore, repoRoot } from "./console-store.ts";

const appDir = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "..");
const nextBin = path.join(appDir, "node_modules/next/dist/bin/next");

/** Source trees whose change requires a new production build. */
const SOURCE_ROOTS = [
  "apps/web/src",
  "apps/web/next.config.ts",
  "apps/web/package.json",
  "packages",
  "prisma/schema.prisma",
  "pnpm-lock.yaml",
];
const SKIP = new Set(["node_modules", ".next", "generated", "__fixtures__", ".turbo"]);

function hashSources(): string {
  const hash = createHash("sha256");
  const walk = (p: string) => {
    const st = statSync(p, { throwIfNoEntry: false });
    if (!st) return;
    if (st.isDirectory()) {
      for (const entry of readdirSync(p).sort())
        if (!SKIP.has(entry) && !entry.startsWith(".next-")) walk(path.join(p, entry));
    } else if (!/\.(test|integration\.test)\.tsx?$/.test(p)) {
      hash.update(p).update(readFileSync(p));
    }
  };
  for (const root of SOURCE_ROOTS) walk(path.join(repoRoot, root));
  return hash.digest("hex");
}

function buildIfNeeded(distDir: string): void {
  const stampFile = path.join(distDir, "pgrescue-source-hash");
  const current = hashSources();
  const built =
    existsSync(path.join(distDir, "BUILD_ID")) && existsSync(stampFile)
      ? readFileSync(stampFile, "utf8").trim()
      : "";
  if (built === current) return;
  console.log("pgrescue: building the console (sources changed since the last build)…");
  const result = spawnSync(process.execPath, [nextBin, "build"], {
    cwd: appDir,
    stdio: "inherit",
    env: { ...process.env, NEXT_TELEMETRY_DISABLED: "1" },
  });
  if (result.status !== 0) {
    console.error("pgrescue: the build failed; see the output above.");
    process.exit(1);
  }
  writeFileSync(stampFile, current + "\n");
}

/** Where a person at this machine opens the console (a wildcard bind address is not one). */
function consoleUrl(env: TLauncherEnv): string {
  if (env.PGRESCUE_PUBLIC_URL !== undefined) return env.PGRESCUE_PUBLIC_URL.replace(/\/+$/, "");
  const host = env.HOST === "0.0.0.0" || env.HOST === "::" ? "127.0.0.1" : env.HOST;
  return `http://${host.includes(":") ? `[${host}]` : host}:${String(env.PORT)}`;
}

/**
 * No user yet: the admin from PGRESCUE_ADMIN_EMAIL/PASSWORD (unattended installs, tests), else a one-time
 * setup link in the log — the token after `#` never reaches a server log or a proxy.
 */
async function prepareFirstAdmin(db: TDb, env: TLauncherEnv): Promise<void> {
  const { PGRESCUE_ADMIN_EMAIL: email, PGRESCUE_ADMIN_PASSWORD: password } = env;
  if ((email === undefined) !== (password === undefined)) {
    throw new Error("set both PGRESCUE_ADMIN_EMAIL and PGRESCUE_ADMIN_PASSWORD, or neither");
  }
  if (env.PGRESCUE_BOOTSTRAP_TOKEN !== undefined && email === undefined) {
    throw new Error(
      "PGRESCUE_BOOTSTRAP_TOKEN needs PGRESCUE_ADMIN_EMAIL and PGRESCUE_ADMIN_PASSWORD: it is that admin's API token",
    );
  }
  if (email !== undefined && password !== undefined) {
    const admin = await bootstrapFirstAdmin(db, {
      email,
      password,
      token: env.PGRESCUE_BOOTSTRAP_TOKEN,
    });
    if (admin !== null)
      console.log(
        `pgrescue: first start: created the admin ${admin.email} from PGRESCUE_ADMIN_EMAIL`,
      );
    return;
  }
  const token = await issueSetupToken(db);
  if (token !== null) {
    console.log(
      `pgrescue: no users yet. Create the first admin within 24 hours at this one-time link:\n\n    ${consoleUrl(env)}/setup#${token}\n`,
    );
  }
}

async function main(): Promise<void> {
  const mode = process.argv[2] === "dev" ? "dev" : "start";
  const env = readLauncherEnv();
  const pendingKey = await findInterruptedRotation(consoleDataDir(env));
  if (pendingKey !== null) {
    console.error(
      `pgrescue: a key rotation stopped before it finished (${pendingKey} exists): run \`pnpm rotate-key\` to finish it, then start the console`,
    );
    process.exit(1);
  }
  if (mode === "start") buildIfNeeded(path.join(appDir, env.PGRESCUE_DIST_DIR));

  const { store, dataDir } = await openConsoleStore(env);
  const interrupted = await markInterruptedSteps(store.db);
  if (interrupted > 0) {
    console.log(
      `pgrescue: ${String(interrupted)} step(s) were running when the console stopped: marked INTERRUPTED — diagnose before anything else`,
    );
  }
  await prepareFirstAdmin(store.db, env);
  await store.db.$disconnect();
  if (!store.leastPrivilege)
    console.warn(
      "pgrescue: the console connects as the owner of its tables (set PGRESCUE_MIGRATION_DATABASE_URL to the owner and DATABASE_URL to a role with DML only — see docs/security.md)",
    );

  // The Next.js app runs in this process: its environment is set before Next.js (and React) load.
  const secret = createFrontSecret();
  Object.assign(process.env, {
    NODE_ENV: mode === "dev" ? "development" : "production",
    NEXT_TELEMETRY_DISABLED: "1",
    DATABASE_URL: store.url,
    PGRESCUE_MIGRATIONS_DIR: migrationsDir,
    PGRESCUE_EMBEDDED_STORE: store.embedded ? "1" : "0",
    PGRESCUE_DATA_DIR: dataDir,
    PGRESCUE_FRONT_SECRET: secret,
  });
  Reflect.deleteProperty(process.env, "PGRESCUE_MIGRATION_DATABASE_URL");
  const { default: next } = await import("next");
  const server = createServer();
  const app = next({
    dev: mode === "dev",
    dir: appDir,
    hostname: env.HOST,
    port: env.PORT,
    customServer: true,
    httpServer: server,
  });
  await app.prepare();
  const handle = app.getRequestHandler();
  server.on(
    "request",
    createFrontHandler(
      { trustedProxies: env.PGRESCUE_TRUSTED_PROXIES, secret, dev: mode === "dev" },
      (req, res) => handle(req, res),
    ),
  );
  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen(env.PORT, env.HOST, resolve);
  });
  const proxies = env.PGRESCUE_TRUSTED_PROXIES.entries;
  console.log(
    `pgrescue: console on http://${env.HOST === "0.0.0.0" ? "localhost" : env.HOST}:${env.PORT}` +
      (proxies.length === 0
        ? " (client addresses from the socket)"
        : ` (X-Forwarded-For believed from ${proxies.join(", ")})`),
  );

  let stopping = false;
  const stop = async (code: number) => {
    if (stopping) return;
    stopping = true;
    server.closeAllConnections();
    await new Promise((resolve) => server.close(resolve));
    await app.close().catch(() => undefined);
    await store.close();
    process.exit(code);
  };
  process.on("SIGINT", () => void stop(0));
  process.on("SIGTERM", () => void stop(0));
}

main().catch((error: unknown) => {
  console.error(`pgrescue: ${error instanceof Error ? error.message : String(error)}`);
  process.exit(1);
});
