// Store health: reachable, every migration on disk applied, server version.
import type { TDb } from "./client.ts";
import { readMigrations } from "./migrate.ts";

export type TStoreHealth = {
  reachable: boolean;
  serverVersion: string | null;
  migrations: { applied: number; pending: string[] };
  error?: string;
};

export async function checkStoreHealth(db: TDb, migrationsDir: string): Promise<TStoreHealth> {
  const onDisk = await readMigrations(migrationsDir);
  try {
    const [version] = await db.$queryRaw<{ server_version: string }[]>`SHOW server_version`;
    const rows = await db.$queryRaw<{ migration_name: string }[]>`
      SELECT migration_name FROM "_prisma_migrations"
      WHERE finished_at IS NOT NULL AND rolled_back_at IS NULL`;
    const applied = new Set(rows.map((r) => r.migration_name));
    return {
      reachable: true,
      serverVersion: version?.server_version ?? null,
      migrations: {
        applied: applied.size,
        pending: onDisk.map((m) => m.name).filter((n) => !applied.has(n)),
      },
    };
  } catch (error) {
    return {
      reachable: false,
      serverVersion: null,
      migrations: { applied: 0, pending: onDisk.map((m) => m.name) },
      error: error instanceof Error ? error.message : String(error),
    };
  }
}
