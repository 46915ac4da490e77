// Opens pgrescue's store: an external PostgreSQL when DATABASE_URL is given, otherwise
// the embedded one; migrations are applied (as the owner) before anything uses it, and the
// console's role is granted what it needs.
import { createDb, type TDb } from "./client.ts";
import { startEmbeddedStore } from "./embedded.ts";
import {
  applyMigrations,
  checkConsolePrivileges,
  grantConsoleRole,
  roleOfUrl,
  type TMigrationReport,
} from "./migrate.ts";

export { findRunningEmbeddedStore } from "./embedded.ts";

export type TOpenStoreOptions = {
  /** the console's role (DATABASE_URL) */
  databaseUrl?: string | undefined;
  /** the owner's role that runs migrations (PGRESCUE_MIGRATION_DATABASE_URL); default: databaseUrl */
  migrationDatabaseUrl?: string | undefined;
  dataDir: string;
  migrationsDir: string;
  port?: number | undefined;
  log?: (line: string) => void;
};

export type TStore = {
  /** the URL the console connects with */
  url: string;
  /** the URL migrations ran with (the owner); equal to url when one role does both */
  ownerUrl: string;
  embedded: boolean;
  /** the console's role owns nothing, is no superuser and cannot delete or rewrite audit events */
  leastPrivilege: boolean;
  migrations: TMigrationReport;
  db: TDb;
  close: () => Promise<void>;
};

export async function openStore(opts: TOpenStoreOptions): Promise<TStore> {
  const embedded = opts.databaseUrl
    ? undefined
    : await startEmbeddedStore({ dataDir: opts.dataDir, port: opts.port, log: opts.log });
  const consoleUrl = opts.databaseUrl ?? embedded?.url;
  if (!consoleUrl) throw new Error("no store URL");
  const ownerUrl = embedded?.ownerUrl ?? opts.migrationDatabaseUrl ?? consoleUrl;
  try {
    const migrations = await applyMigrations(ownerUrl, opts.migrationsDir);
    const separate = roleOfUrl(ownerUrl) !== roleOfUrl(consoleUrl);
    // migrations from before the console role (a test of an older migration) leave nothing to grant: use the owner
    const granted = separate && (await grantConsoleRole(ownerUrl, roleOfUrl(consoleUrl)));
    const url = separate && !granted && embedded !== undefined ? ownerUrl : consoleUrl;
    const { leastPrivilege } = await checkConsolePrivileges(url);
    const db = createDb(url);
    return {
      url,
      ownerUrl,
      embedded: Boolean(embedded),
      leastPrivilege,
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
