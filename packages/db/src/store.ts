// Opens pgrescue's store: an external PostgreSQL when DATABASE_URL is given, otherwise
// the embedded one; migrations are applied before anything uses it.
import { createDb, type Db } from "./client.ts";
import { startEmbeddedStore } from "./embedded.ts";
import { applyMigrations, type MigrationReport } from "./migrate.ts";

export { findRunningEmbeddedStore } from "./embedded.ts";

export type OpenStoreOptions = {
  databaseUrl?: string | undefined;
  dataDir: string;
  migrationsDir: string;
  port?: number | undefined;
  log?: (line: string) => void;
};

export type Store = {
  url: string;
  embedded: boolean;
  migrations: MigrationReport;
  db: Db;
  close: () => Promise<void>;
};

export async function openStore(opts: OpenStoreOptions): Promise<Store> {
  const embedded = opts.databaseUrl
    ? undefined
    : await startEmbeddedStore({ dataDir: opts.dataDir, port: opts.port, log: opts.log });
  const url = opts.databaseUrl ?? embedded?.url;
  if (!url) throw new Error("no store URL");
  try {
    const migrations = await applyMigrations(url, opts.migrationsDir);
    const db = createDb(url);
    return {
      url,
      embedded: Boolean(embedded),
      migrations,
      db,
      close: async () => {
        await db.$disconnect();
        await embedded?.stop();
      },
    };
  } catch (error) {
    await embedded?.stop();
    throw error;
  }
}
