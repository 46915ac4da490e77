// Applies prisma/migrations to a PostgreSQL database and records them in
// _prisma_migrations exactly as `prisma migrate deploy` does (same table, same
// sha256 checksums), so both stay interchangeable wherever Prisma's engine can run.
import { createHash, randomUUID } from "node:crypto";
import { readdir, readFile } from "node:fs/promises";
import path from "node:path";
import pg from "pg";

/** Prisma's own advisory lock id for migrations; holding it keeps two runners apart. */
const PRISMA_MIGRATE_LOCK = 72707369;

export type TMigrationFile = { name: string; sql: string; checksum: string };
export type TMigrationReport = { applied: string[]; alreadyApplied: string[] };

export class MigrationError extends Error {
  override name = "MigrationError";
}

export async function readMigrations(migrationsDir: string): Promise<TMigrationFile[]> {
  const entries = await readdir(migrationsDir, { withFileTypes: true });
  const names = entries
    .filter((e) => e.isDirectory())
    .map((e) => e.name)
    .sort();
  return Promise.all(
    names.map(async (name) => {
      const sql = await readFile(path.join(migrationsDir, name, "migration.sql"), "utf8");
      return { name, sql, checksum: createHash("sha256").update(sql).digest("hex") };
    }),
  );
}

const CREATE_TABLE = `CREATE TABLE IF NOT EXISTS "_prisma_migrations" (
    "id"                    VARCHAR(36) PRIMARY KEY NOT NULL,
    "checksum"              VARCHAR(64) NOT NULL,
    "finished_at"           TIMESTAMPTZ,
    "migration_name"        VARCHAR(255) NOT NULL,
    "logs"                  TEXT,
    "rolled_back_at"        TIMESTAMPTZ,
    "started_at"            TIMESTAMPTZ NOT NULL DEFAULT now(),
    "applied_steps_count"   INTEGER NOT NULL DEFAULT 0
)`;

type TAppliedRow = {
  migration_name: string;
  checksum: string;
  finished_at: Date | null;
  rolled_back_at: Date | null;
};

export async function listAppliedMigrations(client: pg.ClientBase): Promise<TAppliedRow[]> {
  const exists = await client.query<{ t: string | null }>(
    `SELECT to_regclass('"_prisma_migrations"')::text AS t`,
  );
  if (!exists.rows[0]?.t) return [];
  const res = await client.query<TAppliedRow>(
    `SELECT migration_name, checksum, finished_at, rolled_back_at FROM "_prisma_migrations" ORDER BY started_at`,
  );
  return res.rows;
}

export async function applyMigrations(
  databaseUrl: string,
  migrationsDir: string,
): Promise<TMigrationReport> {
  const migrations = await readMigrations(migrationsDir);
  const client = new pg.Client({ connectionString: databaseUrl });
  await client.connect();
  const report: TMigrationReport = { applied: [], alreadyApplied: [] };
  try {
    await client.query("SELECT pg_advisory_lock($1)", [PRISMA_MIGRATE_LOCK]);
    await client.query(CREATE_TABLE);
    const rows = await listAppliedMigrations(client);
    for (const migration of migrations) {
      const done = rows.filter((r) => r.migration_name === migration.name && !r.rolled_back_at);
      const failed = done.find((r) => !r.finished_at);
      if (failed) {
        throw new MigrationError(
          `Migration ${migration.name} started earlier but never finished. Inspect the store, then mark it rolled back in _prisma_migrations before retrying.`,
        );
      }
      const finished = done.find((r) => r.finished_at);
      if (finished) {
        if (finished.checksum !== migration.checksum) {
          throw new MigrationError(
            `Migration ${migration.name} was modified after it was applied (checksum differs). Migrations are immutable: add a new one instead.`,
          );
        }
        report.alreadyApplied.push(migration.name);
        continue;
      }
      await applyOne(client, migration);
      report.applied.push(migration.name);
    }
  } finally {
    await client
      .query("SELECT pg_advisory_unlock($1)", [PRISMA_MIGRATE_LOCK])
      .catch(() => undefined);
    await client.end();
  }
  return report;
}

async function applyOne(client: pg.Client, migration: TMigrationFile): Promise<void> {
  const id = randomUUID();
  await client.query(
    `INSERT INTO "_prisma_migrations" (id, checksum, migration_name, started_at, applied_steps_count) VALUES ($1, $2, $3, now(), 0)`,
    [id, migration.checksum, migration.name],
  );
  try {
    await client.query("BEGIN");
    await client.query(migration.sql);
    await client.query(
      `UPDATE "_prisma_migrations" SET finished_at = now(), applied_steps_count = 1 WHERE id = $1`,
      [id],
    );
    await client.query("COMMIT");
  } catch (error) {
    await client.query("ROLLBACK").catch(() => undefined);
    const message = error instanceof Error ? error.message : String(error);
    await client.query(`UPDATE "_prisma_migrations" SET logs = $2 WHERE id = $1`, [id, message]);
    throw new MigrationError(`Migration ${migration.name} failed: ${message}`);
  }
}

/** The role name of a postgresql:// URL. */
export function roleOfUrl(databaseUrl: string): string {
  return decodeURIComponent(new URL(databaseUrl).username);
}

/**
 * As the owner: grants the console's role what the console needs and nothing else (see the migration that defines
 * the function). False when the store's migrations predate that function: there is nothing to grant by yet.
 */
export async function grantConsoleRole(ownerUrl: string, consoleRole: string): Promise<boolean> {
  const client = new pg.Client({ connectionString: ownerUrl });
  await client.connect();
  try {
    const found = await client.query<{ fn: string | null }>(
      `SELECT to_regprocedure('"pgrescue_grant_console"(text)')::text AS fn`,
    );
    if (found.rows[0]?.fn == null) return false;
    await client.query(`SELECT "pgrescue_grant_console"($1)`, [consoleRole]);
    return true;
  } finally {
    await client.end();
  }
}

export type TConsolePrivileges = { leastPrivilege: boolean; problems: string[] };

/**
 * What the console's role could do to the audit trail beyond appending to it: own the table (and so disable its
 * trigger), be a superuser (and so set session_replication_role), delete or truncate rows.
 */
export async function checkConsolePrivileges(consoleUrl: string): Promise<TConsolePrivileges> {
  const client = new pg.Client({ connectionString: consoleUrl });
  await client.connect();
  try {
    const res = await client.query<{
      superuser: boolean;
      owner: boolean;
      can_delete: boolean;
      can_truncate: boolean;
      can_update: boolean;
    }>(
      `SELECT r.rolsuper AS superuser,
              pg_has_role(current_user, c.relowner, 'USAGE') AS owner,
              has_table_privilege(c.oid, 'DELETE') AS can_delete,
              has_table_privilege(c.oid, 'TRUNCATE') AS can_truncate,
              has_table_privilege(c.oid, 'UPDATE') AS can_update
       FROM pg_roles r, pg_class c
       WHERE r.rolname = current_user AND c.oid = to_regclass('"AuditEvent"')`,
    );
    const row = res.rows[0];
    if (row === undefined) return { leastPrivilege: false, problems: ["no AuditEvent table"] };
    const problems = [
      ...(row.superuser ? ["is a superuser"] : []),
      ...(row.owner ? ["owns the audit table"] : []),
      ...(row.can_delete ? ["may DELETE audit events"] : []),
      ...(row.can_truncate ? ["may TRUNCATE the audit table"] : []),
      ...(row.can_update ? ["may UPDATE every column of audit events"] : []),
    ];
    return { leastPrivilege: problems.length === 0, problems };
  } finally {
    await client.end();
  }
}
