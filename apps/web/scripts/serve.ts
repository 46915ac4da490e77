// Runs the console: opens the store (embedded unless DATABASE_URL is set), applies
// migrations, builds the production app when its sources changed, then serves it with
// `next start` (or `next dev`) and shuts the store down cleanly on exit.
import { spawn, spawnSync } from "node:child_process";
import { createHash } from "node:crypto";
import { existsSync, readdirSync, readFileSync, statSync, writeFileSync } from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { bootstrapFirstAdmin, markInterruptedSteps } from "@pgrescue/api/startup";
import { openStore } from "@pgrescue/db/store";
import { readLauncherEnv } from "../src/env.ts";

const appDir = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "..");
const repoRoot = path.resolve(appDir, "../..");
const migrationsDir = path.join(repoRoot, "prisma/migrations");
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

async function main(): Promise<void> {
  const mode = process.argv[2] === "dev" ? "dev" : "start";
  const env = readLauncherEnv();
  if (mode === "start") buildIfNeeded(path.join(appDir, env.PGRESCUE_DIST_DIR));

  const dataDir = env.PGRESCUE_DATA_DIR ?? path.join(repoRoot, ".data");
  const store = await openStore({
    databaseUrl: env.DATABASE_URL,
    dataDir,
    migrationsDir,
    port: env.PGRESCUE_STORE_PORT,
  });
  console.log(
    store.embedded
      ? `pgrescue: embedded store ready (data in ${dataDir})`
      : "pgrescue: using the PostgreSQL at DATABASE_URL",
  );
  if (store.migrations.applied.length > 0) {
    console.log(`pgrescue: applied migrations: ${store.migrations.applied.join(", ")}`);
  }
  const interrupted = await markInterruptedSteps(store.db);
  if (interrupted > 0) {
    console.log(
      `pgrescue: ${String(interrupted)} step(s) were running when the console stopped: marked INTERRUPTED — diagnose before anything else`,
    );
  }
  const admin = await bootstrapFirstAdmin(store.db, env.PGRESCUE_BOOTSTRAP_TOKEN);
  if (admin !== null) {
    console.log(
      admin.token === null
        ? `pgrescue: first start: created ${admin.email} (ADMIN) with the token from PGRESCUE_BOOTSTRAP_TOKEN`
        : `pgrescue: first start: created ${admin.email} (ADMIN). Its API token, shown only this once:\n\n    export PGRESCUE_TOKEN=${admin.token}\n`,
    );
  }
  await store.db.$disconnect();

  const child = spawn(
    process.execPath,
    [nextBin, mode, "--port", String(env.PORT), "--hostname", env.HOST],
    {
      cwd: appDir,
      stdio: "inherit",
      env: {
        ...process.env,
        NEXT_TELEMETRY_DISABLED: "1",
        DATABASE_URL: store.url,
        PGRESCUE_MIGRATIONS_DIR: migrationsDir,
        PGRESCUE_EMBEDDED_STORE: store.embedded ? "1" : "0",
        PGRESCUE_DATA_DIR: dataDir,
      },
    },
  );
  console.log(
    `pgrescue: console on http://${env.HOST === "0.0.0.0" ? "localhost" : env.HOST}:${env.PORT}`,
  );

  let stopping = false;
  const stop = async (code: number) => {
    if (stopping) return;
    stopping = true;
    if (child.exitCode === null) {
      child.kill("SIGTERM");
      await new Promise((resolve) => child.once("exit", resolve));
    }
    await store.close();
    process.exit(code);
  };
  process.on("SIGINT", () => void stop(0));
  process.on("SIGTERM", () => void stop(0));
  child.on("exit", (code) => void stop(code ?? 1));
}

main().catch((error: unknown) => {
  console.error(`pgrescue: ${error instanceof Error ? error.message : String(error)}`);
  process.exit(1);
});
