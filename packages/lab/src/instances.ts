// PostgreSQL instances on a lab host: initdb, configuration, start, and the forceful reset scenarios begin with.
import { chown, mkdir, rm } from "node:fs/promises";
import path from "node:path";
import type { THostContext } from "./context.ts";
import { adminUser, listProcesses, pidFilePath } from "./host-state.ts";
import { preparePg18BinDir, requirePg15 } from "./pg-binaries.ts";
import { findFreePort, isPortFree } from "./ports.ts";
import { run, waitFor } from "./run.ts";
import { quote, quoteAll } from "./shell.ts";
import type { TInstanceRecord } from "./state-file.ts";
import type { TCreateInstanceOptions, THostProcess, TLabInstance } from "./types.ts";

export class LabInstanceError extends Error {
  override name = "LabInstanceError";
}

const INSTANCE_NAME = /^[a-z0-9][a-z0-9_-]{0,30}$/;
/** sockaddr_un.sun_path is 108 bytes; PostgreSQL also needs room for ".s.PGSQL.NNNNN.lock". */
const MAX_SOCKET_DIR_LENGTH = 85;
export const SLEEPER_APPLICATION_NAME = "pgrescue-lab-sleeper";

export function toLabInstance(record: TInstanceRecord): TLabInstance {
  return {
    name: record.name,
    major: record.major,
    pgdata: record.pgdata,
    binDir: record.binDir,
    port: record.port,
    socketDir: record.socketDir,
    logFile: record.logFile,
    osUser: record.osUser,
    ...(record.supervision === undefined ? {} : { supervision: record.supervision }),
  };
}

/** The server settings the lab writes after initdb; the rest is initdb's default. */
export function renderInstanceConfig(opts: { port: number; socketDir: string }): string {
  return [
    "",
    "# pgrescue lab",
    `port = ${String(opts.port)}`,
    "listen_addresses = '127.0.0.1'",
    `unix_socket_directories = '${opts.socketDir.replaceAll("'", "''")}'`,
    "logging_collector = off",
    "log_line_prefix = '%m [%p] '",
    "lc_messages = 'C'",
    "shared_buffers = 16MB",
    "max_connections = 30",
    "fsync = off",
    "huge_pages = off",
    "",
  ].join("\n");
}

async function binDirFor(ctx: THostContext, major: 15 | 18): Promise<string> {
  if (major === 15) return requirePg15();
  const postgres = ctx.users.postgres;
  return preparePg18BinDir({
    baseDir: ctx.baseDir,
    canExecute: async (file) => {
      const args =
        ctx.mode === "root"
          ? [
              `--reuid=${String(postgres.uid)}`,
              `--regid=${String(postgres.gid)}`,
              "--clear-groups",
              "--",
              file,
              "--version",
            ]
          : null;
      const result =
        args === null
          ? await run(file, ["--version"]).catch(() => null)
          : await run("setpriv", args).catch(() => null);
      return result?.code === 0;
    },
  });
}

export async function createInstance(
  ctx: THostContext,
  opts: TCreateInstanceOptions,
): Promise<TLabInstance> {
  if (opts.unit !== undefined && ctx.supervisor.kind !== "systemd")
    throw new LabInstanceError(
      `a unit style or Restart= drop-in needs a systemd lab host (this one runs ${ctx.supervisor.kind})`,
    );
  if (!INSTANCE_NAME.test(opts.name))
    throw new LabInstanceError(
      `invalid instance name "${opts.name}": 1-31 lowercase letters, digits, _ and -`,
    );
  const existing = await ctx.readState();
  if (existing.instances.some((instance) => instance.name === opts.name))
    throw new LabInstanceError(`instance "${opts.name}" already exists on this lab host`);
  const binDir = await binDirFor(ctx, opts.major);
  const port = opts.port ?? (await findFreePort());
  if (existing.instances.some((instance) => instance.port === port))
    throw new LabInstanceError(
      `port ${String(port)} is already used by another instance of this lab host`,
    );
  if (opts.port !== undefined && !(await isPortFree(port)))
    throw new LabInstanceError(`port ${String(port)} is in use on 127.0.0.1`);
  const instanceDir = path.join(ctx.dir, "instances", opts.name);
  const socketDir = path.join(instanceDir, "socket");
  if (socketDir.length > MAX_SOCKET_DIR_LENGTH) {
    throw new LabInstanceError(
      `the socket directory ${socketDir} is too long for a Unix socket: use a shorter lab base dir or host name`,
    );
  }
  const osUser = ctx.users.postgres;
  await rm(instanceDir, { recursive: true, force: true });
  await mkdir(socketDir, { recursive: true, mode: 0o755 });
  if (ctx.mode === "root") {
    await chown(instanceDir, osUser.uid, osUser.gid);
    await chown(socketDir, osUser.uid, osUser.gid);
  }
  const record: TInstanceRecord = {
    name: opts.name,
    major: opts.major,
    pgdata: path.join(instanceDir, "data"),
    binDir,
    port,
    socketDir,
    logFile: path.join(instanceDir, "server.log"),
    osUser: osUser.name,
    artifacts: { processes: [], semIds: [] },
    lastScenario: null,
  };
  let supervised = record;
  if (ctx.supervisor.create === undefined) await initInstanceFiles(ctx, record);
  else supervised = await ctx.supervisor.create(ctx, record, opts.unit);
  await ctx.updateState((state) => ({ ...state, instances: [...state.instances, supervised] }));
  if (supervised.supervision !== undefined) {
    await startServer(ctx, supervised);
    return toLabInstance(supervised);
  }
  // The port was free when picked, but the network namespace is the machine's: another process may take
  // it before the server binds. A port the caller chose is not changed.
  for (let attempt = 1; ; attempt += 1) {
    try {
      await startServer(ctx, record);
      return toLabInstance(record);
    } catch (error) {
      const portTaken =
        error instanceof LabInstanceError &&
        /could not bind|Address already in use/.test(error.message);
      if (!portTaken || opts.port !== undefined || attempt >= 3) throw error;
      record.port = await findFreePort();
      await ctx.exec(`cat >> ${quote(path.join(record.pgdata, "postgresql.conf"))}`, {
        user: osUser.name,
        input: `port = ${String(record.port)}\n`,
      });
      await saveInstanceRecord(ctx, record);
    }
  }
}

/** initdb as the OS user and the lab's settings appended to postgresql.conf (tini hosts, PGDG-style units). */
export async function initInstanceFiles(ctx: THostContext, record: TInstanceRecord): Promise<void> {
  const { binDir, port, socketDir } = record;
  const initdb = await ctx.exec(
    `${quoteAll([path.join(binDir, "initdb"), "-D", record.pgdata, "-U", "postgres", "-A", "trust", "-E", "UTF8", "--locale=C", "--no-sync", "--no-instructions"])} >/dev/null`,
    { user: record.osUser, timeoutMs: 120_000 },
  );
  if (initdb.code !== 0)
    throw new LabInstanceError(
      `initdb (PostgreSQL ${String(record.major)}) failed: ${initdb.stderr.trim()}`,
    );
  const configured = await ctx.exec(
    `cat >> ${quote(path.join(record.pgdata, "postgresql.conf"))}`,
    {
      user: record.osUser,
      input: renderInstanceConfig({ port, socketDir }),
    },
  );
  if (configured.code !== 0)
    throw new LabInstanceError(`could not configure ${record.pgdata}: ${configured.stderr.trim()}`);
}

export async function findInstanceRecord(
  ctx: THostContext,
  name: string,
): Promise<TInstanceRecord> {
  const record = (await ctx.readState()).instances.find((instance) => instance.name === name);
  if (record === undefined)
    throw new LabInstanceError(`no instance "${name}" on lab host ${path.basename(ctx.dir)}`);
  return record;
}

export async function saveInstanceRecord(
  ctx: THostContext,
  record: TInstanceRecord,
): Promise<void> {
  await ctx.updateState((state) => ({
    ...state,
    instances: state.instances.map((instance) =>
      instance.name === record.name ? record : instance,
    ),
  }));
}

/** pg_ctl start -w as the instance's OS user; throws with the server log's tail when it does not come up. */
export async function startServer(ctx: THostContext, record: TInstanceRecord): Promise<void> {
  if (ctx.supervisor.start !== undefined) {
    await ctx.supervisor.start(ctx, record);
    return;
  }
  const started = await ctx.exec(
    quoteAll([
      path.join(record.binDir, "pg_ctl"),
      "start",
      "-D",
      record.pgdata,
      "-l",
      record.logFile,
      "-w",
      "-t",
      "60",
      "-s",
    ]),
    {
      user: record.osUser,
      timeoutMs: 90_000,
    },
  );
  if (started.code !== 0) {
    const log = await ctx.exec(`tail -n 20 ${quote(record.logFile)}`, { user: adminUser(ctx) });
    throw new LabInstanceError(
      `pg_ctl start of ${record.name} failed: ${started.stderr.trim()} ${started.stdout.trim()}\n${log.stdout}`,
    );
  }
  await queryInstance(ctx, record, "select 1");
}

/** Runs SQL through psql over the instance's Unix socket and returns the unaligned, tuples-only output. */
export async function queryInstance(
  ctx: THostContext,
  record: TInstanceRecord,
  sql: string,
): Promise<string> {
  const result = await ctx.exec(
    quoteAll([
      path.join(record.binDir, "psql"),
      "-X",
      "-A",
      "-t",
      "-q",
      "-v",
      "ON_ERROR_STOP=1",
      "-h",
      record.socketDir,
      "-p",
      record.port,
      "-U",
      "postgres",
      "-d",
      "postgres",
      "-c",
      sql,
    ]),
    { user: record.osUser, timeoutMs: 30_000 },
  );
  if (result.code !== 0)
    throw new LabInstanceError(`query on ${record.name} failed: ${result.stderr.trim()}`);
  return result.stdout.trim();
}

/** Processes of the instance: working directory is the data directory (every backend chdirs there), or a psql client of its socket. */
export function instanceMembers(
  record: TInstanceRecord,
  processes: readonly THostProcess[],
): { server: THostProcess[]; clients: THostProcess[] } {
  const server = processes.filter((process) => process.cwd === record.pgdata);
  const clients = processes.filter(
    (process) => process.comm === "psql" && process.args.includes(record.socketDir),
  );
  return { server, clients };
}

export async function signalPids(
  ctx: THostContext,
  signal: "KILL" | "STOP" | "CONT",
  pids: readonly number[],
): Promise<void> {
  if (pids.length === 0) return;
  await ctx.exec(`kill -s ${signal} ${pids.map(String).join(" ")} 2>/dev/null; true`, {
    user: adminUser(ctx),
  });
}

/**
 * Brings an instance back to "stopped, nothing left": kills the previous scenario's helpers, every server
 * process and client of this instance (zombies go with their parent; tini reaps them), and removes the
 * semaphore sets the previous scenario created. Other instances and users are never touched.
 */
export async function resetInstance(
  ctx: THostContext,
  record: TInstanceRecord,
): Promise<TInstanceRecord> {
  const before = await listProcesses(ctx);
  const artifactPids = record.artifacts.processes
    .filter((ref) =>
      before.some((process) => process.pid === ref.pid && process.startTime === ref.startTime),
    )
    .map((ref) => ref.pid);
  const members = instanceMembers(record, before);
  const targets = [
    ...artifactPids,
    ...members.server.map((process) => process.pid),
    ...members.clients.map((process) => process.pid),
  ];
  await ctx.supervisor.beforeKill?.(ctx, record);
  await signalPids(ctx, "KILL", targets);
  await ctx.supervisor.afterKill?.(ctx, record);
  if (record.artifacts.semIds.length > 0) {
    await ctx.exec(
      `${record.artifacts.semIds.map((id) => `ipcrm -s ${String(id)} 2>/dev/null`).join("; ")}; true`,
      { user: adminUser(ctx) },
    );
  }
  await waitFor(
    async () => {
      const now = await listProcesses(ctx);
      const left = instanceMembers(record, now);
      // Zombies have no readable cwd or cmdline, so they do not count here; tini reaps them once their parent is gone.
      const stillThere = [...left.server, ...left.clients];
      const artifactsLeft = now.filter(
        (process) => artifactPids.includes(process.pid) && process.state !== "Z",
      );
      return stillThere.length === 0 && artifactsLeft.length === 0 ? true : undefined;
    },
    15_000,
    () => `processes of instance ${record.name} did not go away after SIGKILL`,
  );
  // Where no init reaps orphans (plain mode on a machine whose PID 1 does not), the killed postmaster stays
  // a zombie, and PostgreSQL would take that PID for a live postmaster: its lock files have to go.
  const zombies = new Set(
    (await listProcesses(ctx))
      .filter((process) => process.state === "Z")
      .map((process) => process.pid),
  );
  if (zombies.size > 0) {
    const locks = [
      pidFilePath(record),
      path.join(record.socketDir, `.s.PGSQL.${String(record.port)}.lock`),
    ];
    for (const lock of locks) {
      const text = await ctx.exec(`cat ${quote(lock)} 2>/dev/null`, { user: adminUser(ctx) });
      const pid = Number(text.stdout.split("\n")[0]?.trim());
      if (zombies.has(pid)) await ctx.exec(`rm -f ${quote(lock)}`, { user: record.osUser });
    }
  }
  const cleared: TInstanceRecord = {
    ...record,
    artifacts: { processes: [], semIds: [] },
    lastScenario: null,
  };
  await saveInstanceRecord(ctx, cleared);
  return cleared;
}

export async function readPidFileText(
  ctx: THostContext,
  record: TInstanceRecord,
): Promise<string | null> {
  const result = await ctx.exec(`cat ${quote(pidFilePath(record))} 2>/dev/null`, {
    user: adminUser(ctx),
  });
  return result.code === 0 ? result.stdout : null;
}
