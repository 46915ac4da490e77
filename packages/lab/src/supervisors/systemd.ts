// PostgreSQL under the lab host's systemd: Debian's postgresql@V-NAME.service (pg_createcluster, pg_ctlcluster) or
// a PGDG-style postgresql-V.service (postgres -D in the foreground, Type=notify, KillMode=mixed), optionally with a
// Restart= drop-in as many fleets add.
import { access } from "node:fs/promises";
import path from "node:path";
import type { THostContext } from "../context.ts";
import {
  initInstanceFiles,
  LabInstanceError,
  queryInstance,
  renderInstanceConfig,
} from "../instances.ts";
import { quote, quoteAll } from "../shell.ts";
import type { TInstanceRecord } from "../state-file.ts";
import { run, sleep } from "../run.ts";
import type { TSupervisorHooks } from "./hooks.ts";
import type { TInstanceSupervision, TSupervisorView, TUnitRestart, TUnitStyle } from "./types.ts";

type TUnitSupervision = Extract<TInstanceSupervision, { kind: "systemd" }>;

/** Debian cluster names end up in the unit name, where "-" separates version and cluster ("%I breaks for names with dashes"). */
export function debianClusterName(instanceName: string): string {
  return instanceName.replaceAll("-", "_");
}

export function pgdgUnitName(major: number, instanceName: string): string {
  return instanceName === "main"
    ? `postgresql-${String(major)}.service`
    : `postgresql-${String(major)}-${instanceName}.service`;
}

/** As PGDG ships it (postgresql-15.service from the RPMs), with Debian's binaries and the lab's data directory. */
export function renderPgdgUnit(opts: { major: number; binDir: string; pgdata: string }): string {
  const major = String(opts.major);
  return [
    "# PGDG-style unit (as in the PGDG RPMs' postgresql-" +
      major +
      ".service), written by the pgrescue lab",
    "[Unit]",
    `Description=PostgreSQL ${major} database server`,
    `Documentation=https://www.postgresql.org/docs/${major}/static/`,
    "After=syslog.target",
    "After=network-online.target",
    "",
    "[Service]",
    "Type=notify",
    "User=postgres",
    "Group=postgres",
    `Environment=PGDATA=${opts.pgdata}`,
    "Environment=PG_OOM_ADJUST_FILE=/proc/self/oom_score_adj",
    "Environment=PG_OOM_ADJUST_VALUE=0",
    `ExecStart=${path.join(opts.binDir, "postgres")} -D \${PGDATA}`,
    "ExecReload=/bin/kill -HUP $MAINPID",
    "KillMode=mixed",
    "KillSignal=SIGINT",
    "TimeoutSec=0",
    "TimeoutStopSec=1h",
    "OOMScoreAdjust=-1000",
    "",
    "[Install]",
    "WantedBy=multi-user.target",
    "",
  ].join("\n");
}

export function renderRestartDropIn(restart: TUnitRestart): string {
  return [
    "# pgrescue lab: like the Restart= drop-ins many fleets add",
    "[Service]",
    `Restart=${restart}`,
    "",
  ].join("\n");
}

/** PGDG's RPMs turn the logging collector on; Debian's clusters log through pg_ctlcluster's -l file instead. */
export function renderPgdgLogConfig(instanceDir: string): string {
  return [
    "logging_collector = on",
    `log_directory = '${instanceDir.replaceAll("'", "''")}'`,
    "log_filename = 'server.log'",
    "log_file_mode = 0640",
    "",
  ].join("\n");
}

async function systemctl(
  ctx: THostContext,
  args: readonly string[],
  timeoutMs = 90_000,
): Promise<{ stdout: string; stderr: string; code: number }> {
  return ctx.exec(quoteAll(["systemctl", ...args]), { timeoutMs });
}

function supervisionOf(record: TInstanceRecord): TUnitSupervision {
  const supervision = record.supervision;
  if (supervision?.kind !== "systemd")
    throw new LabInstanceError(`instance ${record.name} is not run by a systemd unit`);
  return supervision;
}

/** `systemctl show` output (Key=Value lines) as a map. */
export function parseSystemctlShow(text: string): Map<string, string> {
  const values = new Map<string, string>();
  for (const line of text.split("\n")) {
    const at = line.indexOf("=");
    if (at > 0) values.set(line.slice(0, at), line.slice(at + 1));
  }
  return values;
}

const SHOW_PROPERTIES = [
  "ActiveState",
  "SubState",
  "MainPID",
  "Result",
  "Restart",
  "NRestarts",
  "ControlGroup",
  "DropInPaths",
  "Job",
];

async function showUnit(ctx: THostContext, unit: string): Promise<Map<string, string>> {
  const shown = await systemctl(ctx, ["show", unit, ...SHOW_PROPERTIES.map((p) => `-p${p}`)]);
  if (shown.code !== 0)
    throw new LabInstanceError(`systemctl show ${unit} failed: ${shown.stderr.trim()}`);
  return parseSystemctlShow(shown.stdout);
}

export function toSystemdView(unit: string, shown: Map<string, string>): TSupervisorView {
  return {
    kind: "systemd",
    unit,
    activeState: shown.get("ActiveState") ?? "",
    subState: shown.get("SubState") ?? "",
    mainPid: Number(shown.get("MainPID") ?? "0"),
    result: shown.get("Result") ?? "",
    restart: shown.get("Restart") ?? "",
    nRestarts: Number(shown.get("NRestarts") ?? "0"),
    controlGroup: shown.get("ControlGroup") ?? "",
    dropIns: (shown.get("DropInPaths") ?? "").split(" ").filter((entry) => entry !== ""),
  };
}

async function failureReport(
  ctx: THostContext,
  record: TInstanceRecord,
  unit: string,
): Promise<string> {
  const status = await systemctl(ctx, ["status", "--no-pager", "-l", unit]).catch(() => null);
  const log = await ctx
    .exec(`tail -n 15 ${quote(record.logFile)} 2>/dev/null`, { timeoutMs: 10_000 })
    .catch(() => null);
  return `${status?.stdout.trim() ?? ""}\n${log?.stdout ?? ""}`;
}

async function startUnit(ctx: THostContext, record: TInstanceRecord): Promise<void> {
  const { unit } = supervisionOf(record);
  await systemctl(ctx, ["reset-failed", unit]);
  const started = await systemctl(ctx, ["start", unit], 120_000);
  const shown = await showUnit(ctx, unit);
  if (started.code !== 0 || shown.get("ActiveState") !== "active") {
    throw new LabInstanceError(
      `systemctl start ${unit} failed (${started.stderr.trim()}): ${await failureReport(ctx, record, unit)}`,
    );
  }
  // Debian's ExecStart= ignores start-up failure ("-"), so "active" alone proves little: the server must answer.
  await queryInstance(ctx, record, "select 1");
}

async function stopUnitCleanly(ctx: THostContext, record: TInstanceRecord): Promise<string[]> {
  const { unit } = supervisionOf(record);
  const stopped = await systemctl(ctx, ["stop", unit], 120_000);
  if (stopped.code !== 0)
    throw new LabInstanceError(`systemctl stop ${unit} failed: ${stopped.stderr.trim()}`);
  const view = toSystemdView(unit, await showUnit(ctx, unit));
  if (view.kind !== "systemd" || view.activeState !== "inactive")
    throw new LabInstanceError(`${unit} is not inactive after systemctl stop`);
  return [`systemctl stop ${unit}: ActiveState inactive`];
}

/** After the reset's SIGKILLs: whatever systemd did meanwhile (ExecStop, a Restart=), end with the unit stopped and not failed. */
async function stopAfterKill(ctx: THostContext, record: TInstanceRecord): Promise<void> {
  const { unit } = supervisionOf(record);
  await systemctl(ctx, ["stop", unit], 120_000);
  await systemctl(ctx, ["reset-failed", unit]);
}

const TRANSIENT = new Set(["activating", "deactivating", "reloading"]);

async function settleUnit(ctx: THostContext, record: TInstanceRecord): Promise<string[]> {
  const { unit } = supervisionOf(record);
  const deadline = Date.now() + 60_000;
  let shown = await showUnit(ctx, unit);
  // systemd notices a dead main process through SIGCHLD at once, but give it a moment to start its reaction.
  await sleep(300);
  for (;;) {
    shown = await showUnit(ctx, unit);
    const active = shown.get("ActiveState") ?? "";
    if (!TRANSIENT.has(active) && (shown.get("Job") ?? "") === "") break;
    if (Date.now() > deadline)
      throw new LabInstanceError(
        `${unit} did not settle within 60 s (ActiveState ${active}, SubState ${shown.get("SubState") ?? ""})`,
      );
    await sleep(100);
  }
  const view = toSystemdView(unit, shown);
  if (view.kind !== "systemd") return [];
  return [
    `systemd: ${unit} ${view.activeState}/${view.subState}, MainPID ${String(view.mainPid)}, Result ${view.result}, NRestarts ${String(view.nRestarts)}`,
  ];
}

async function requireFile(file: string, why: string): Promise<void> {
  try {
    await access(file);
  } catch {
    throw new LabInstanceError(why);
  }
}

/** The postgres binary must be built with systemd support for Type=notify, or the unit never becomes active. */
async function requireNotifySupport(binDir: string, major: number): Promise<void> {
  const ldd = await run("ldd", [path.join(binDir, "postgres")]).catch(() => null);
  if (ldd === null || !/libsystemd\.so/.test(ldd.stdout))
    throw new LabInstanceError(
      `the PostgreSQL ${String(major)} server in ${binDir} is built without systemd support (no libsystemd, so no sd_notify): a PGDG-style Type=notify unit would never become active`,
    );
}

async function writeDropIn(
  ctx: THostContext,
  unit: string,
  restart: TUnitRestart,
): Promise<string | null> {
  if (restart === "no") return null;
  const dropIn = `/etc/systemd/system/${unit}.d/pgrescue-lab-restart.conf`;
  const written = await ctx.exec(
    `mkdir -p ${quote(path.dirname(dropIn))} && cat > ${quote(dropIn)}`,
    { input: renderRestartDropIn(restart) },
  );
  if (written.code !== 0)
    throw new LabInstanceError(`could not write ${dropIn}: ${written.stderr.trim()}`);
  return dropIn;
}

async function createDebianCluster(
  ctx: THostContext,
  record: TInstanceRecord,
  restart: TUnitRestart,
): Promise<TInstanceRecord> {
  const binDir = `/usr/lib/postgresql/${String(record.major)}/bin`;
  await requireFile(
    path.join(binDir, "postgres"),
    `a Debian cluster of PostgreSQL ${String(record.major)} needs Debian's postgresql-${String(record.major)} package (${binDir}); this machine does not have it (use --major 15)`,
  );
  await requireFile(
    "/usr/bin/pg_createcluster",
    "a Debian cluster needs postgresql-common (pg_createcluster, pg_ctlcluster)",
  );
  const cluster = debianClusterName(record.name);
  const version = String(record.major);
  const created = await ctx.exec(
    quoteAll([
      "pg_createcluster",
      version,
      cluster,
      "-d",
      record.pgdata,
      "-p",
      record.port,
      "-s",
      record.socketDir,
      "-l",
      record.logFile,
      "-u",
      record.osUser,
      "--locale",
      "C",
      "-e",
      "UTF8",
      "--start-conf",
      "auto",
      "--",
      "-A",
      "trust",
      "--no-sync",
    ]),
    { timeoutMs: 120_000 },
  );
  if (created.code !== 0)
    throw new LabInstanceError(
      `pg_createcluster ${version} ${cluster} failed: ${created.stderr.trim()} ${created.stdout.trim()}`,
    );
  const configDir = `/etc/postgresql/${version}/${cluster}`;
  const configured = await ctx.exec(`cat > ${quote(`${configDir}/conf.d/pgrescue-lab.conf`)}`, {
    user: record.osUser,
    input: renderInstanceConfig({ port: record.port, socketDir: record.socketDir }),
  });
  if (configured.code !== 0)
    throw new LabInstanceError(`could not configure ${configDir}: ${configured.stderr.trim()}`);
  const unit = `postgresql@${version}-${cluster}.service`;
  const dropIn = await writeDropIn(ctx, unit, restart);
  const supervised: TInstanceRecord = {
    ...record,
    binDir,
    supervision: {
      kind: "systemd",
      unit,
      style: "debian",
      restart,
      configDir,
      cluster: `${version}/${cluster}`,
      dropIn,
    },
  };
  // pg_createcluster reloads systemd itself; the drop-in needs it once more.
  await systemctl(ctx, ["daemon-reload"]);
  return supervised;
}

async function createPgdgUnit(
  ctx: THostContext,
  record: TInstanceRecord,
  restart: TUnitRestart,
): Promise<TInstanceRecord> {
  await requireNotifySupport(record.binDir, record.major);
  await initInstanceFiles(ctx, record);
  const instanceDir = path.dirname(record.pgdata);
  const configured = await ctx.exec(
    `cat >> ${quote(path.join(record.pgdata, "postgresql.conf"))}`,
    {
      user: record.osUser,
      input: renderPgdgLogConfig(instanceDir),
    },
  );
  if (configured.code !== 0)
    throw new LabInstanceError(`could not configure ${record.pgdata}: ${configured.stderr.trim()}`);
  const unit = pgdgUnitName(record.major, record.name);
  const unitFile = `/etc/systemd/system/${unit}`;
  const written = await ctx.exec(`cat > ${quote(unitFile)}`, {
    input: renderPgdgUnit({ major: record.major, binDir: record.binDir, pgdata: record.pgdata }),
  });
  if (written.code !== 0)
    throw new LabInstanceError(`could not write ${unitFile}: ${written.stderr.trim()}`);
  const dropIn = await writeDropIn(ctx, unit, restart);
  await systemctl(ctx, ["daemon-reload"]);
  const enabled = await systemctl(ctx, ["enable", unit]);
  if (enabled.code !== 0)
    throw new LabInstanceError(`systemctl enable ${unit} failed: ${enabled.stderr.trim()}`);
  return {
    ...record,
    supervision: {
      kind: "systemd",
      unit,
      style: "pgdg",
      restart,
      configDir: record.pgdata,
      cluster: null,
      dropIn,
    },
  };
}

export function systemdHooks(opts: {
  unitStyle: TUnitStyle;
  restart: TUnitRestart;
}): TSupervisorHooks {
  return {
    kind: "systemd",
    reactsToCrash: true,
    create: async (ctx, record, unit) => {
      const style = unit?.style ?? opts.unitStyle;
      const restart = unit?.restart ?? opts.restart;
      return style === "debian"
        ? createDebianCluster(ctx, record, restart)
        : createPgdgUnit(ctx, record, restart);
    },
    start: startUnit,
    stopClean: stopUnitCleanly,
    afterKill: stopAfterKill,
    settle: settleUnit,
    view: async (ctx, record) => {
      const { unit } = supervisionOf(record);
      return toSystemdView(unit, await showUnit(ctx, unit));
    },
  };
}
