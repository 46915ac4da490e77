// How the launcher and `pnpm rotate-key` open the console's store: the embedded one under the data dir unless
// DATABASE_URL is set, migrated, with the same messages.
import path from "node:path";
import { fileURLToPath } from "node:url";
import { openStore, type TStore } from "@pgrescue/db/store";
import type { TLauncherEnv } from "../src/env.ts";

export const repoRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "../../..");
export const migrationsDir = path.join(repoRoot, "prisma/migrations");

type TStoreEnv = Pick<
  TLauncherEnv,
  "DATABASE_URL" | "PGRESCUE_MIGRATION_DATABASE_URL" | "PGRESCUE_DATA_DIR" | "PGRESCUE_STORE_PORT"
>;

/** PGRESCUE_DATA_DIR, else `.data` at the repository's root: the embedded store and the key file live there. */
export function consoleDataDir(env: TStoreEnv): string {
  return env.PGRESCUE_DATA_DIR ?? path.join(repoRoot, ".data");
}

export async function openConsoleStore(
  env: TStoreEnv,
): Promise<{ store: TStore; dataDir: string }> {
  const dataDir = consoleDataDir(env);
  const store = await openStore({
    databaseUrl: env.DATABASE_URL,
    migrationDatabaseUrl: env.PGRESCUE_MIGRATION_DATABASE_URL,
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
  return { store, dataDir };
}
