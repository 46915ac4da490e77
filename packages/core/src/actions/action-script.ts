// State-changing action scripts: renders the prelude and the plan (pgr_verify, pgr_act) in front of src/scripts/action.sh.
import {
  ACTION_SH,
  ACTION_SUPERVISOR_SH,
  LIB_SH,
  SUPERVISOR_SH,
} from "../scripts/generated/host-scripts.ts";
import { buildLibPrelude, buildSupervisorPrelude, renderPrelude } from "../scripts/prelude.ts";
import {
  ShellValueError,
  requireAbsolutePath,
  requirePid,
  requireUnsignedInt,
  shellQuote,
} from "../shell/quote.ts";
import { ACTION_EXIT, ACTION_VERSION } from "./action-protocol.ts";
import type {
  TActionCheck,
  TActionOp,
  TActionSpec,
  TBuiltActionScript,
  TDsmIdentity,
  TPatroniIdentity,
  TPidAndTicks,
  TPidFileExpectation,
  TProcessIdentity,
  TSemIdentity,
  TShmIdentity,
  TUnitExpectation,
} from "./action-spec.ts";

export type {
  TActionCheck,
  TActionOp,
  TActionSpec,
  TBuiltActionScript,
  TDsmIdentity,
  TPidAndTicks,
  TPidFileExpectation,
  TProcessIdentity,
  TSemIdentity,
  TShmIdentity,
  TPatroniIdentity,
  TUnitExpectation,
} from "./action-spec.ts";
export type { TSignal } from "./action-spec.ts";

/** pg_isready's connect timeout when a start is verified (rung 4). */
export const VERIFY_PG_ISREADY_TIMEOUT_SEC = 5;
/** Lines of the server log shown when pg_ctl start fails. */
export const FAILED_START_LOG_LINES = 20;

const ACTION_BODY_MARKER = "# --- pgrescue action body (constant) ---";

/** The exit codes of ACTION_EXIT as parameters of action.sh: PGR_EXIT_OK=0, PGR_EXIT_UNABLE=2, … */
const EXIT_PRELUDE = Object.entries(ACTION_EXIT).map(
  ([name, code]) => [`PGR_EXIT_${name.toUpperCase()}`, code] as const,
);

/**
 * The constant part of every action script (for tests and reviews): a marker line, lib.sh, then
 * action.sh. Nothing in it changes the host except pgr_do, which runs exactly the commands
 * written in pgr_act.
 */
export const ACTION_SCRIPT_BODY = `\n${ACTION_BODY_MARKER}\n${LIB_SH}${ACTION_SH}`;

/**
 * The constant part of a script that works through a supervisor (a systemd unit, Patroni): lib.sh, supervisor.sh
 * and action-supervisor.sh (read-only checks and waits), then action.sh. Scripts without a supervisor operation
 * keep ACTION_SCRIPT_BODY, byte for byte.
 */
export const ACTION_SUPERVISOR_SCRIPT_BODY = `\n${ACTION_BODY_MARKER}\n${LIB_SH}${SUPERVISOR_SH}${ACTION_SUPERVISOR_SH}${ACTION_SH}`;

const MAX_TICKS = Number.MAX_SAFE_INTEGER;
const ROLE_WORD = /^[a-z][a-z-]{0,39}$/;
const DSM_PATH = /^\/dev\/shm\/PostgreSQL\.\d{1,10}$/;
const UNIT_NAME = /^[A-Za-z0-9:_.@][A-Za-z0-9:_.@-]{0,250}\.service$/;
const ACTIVE_STATE = /^[a-z][a-z-]{0,30}$/;
const REST_URL = /^https?:\/\/[0-9A-Za-z.-]{1,253}:\d{1,5}$/;

function pidArg(pid: number, label: string): string {
  return requirePid(pid, label);
}

function ticksArg(ticks: number, label: string): string {
  return requireUnsignedInt(ticks, label, MAX_TICKS);
}

function uidArg(uid: number, label: string): string {
  return requireUnsignedInt(uid, label);
}

function pathArg(path: string, label: string): string {
  return shellQuote(requireAbsolutePath(path, label));
}

function roleArg(role: string): string {
  if (!ROLE_WORD.test(role)) throw new ShellValueError("role", `is not a role word (${role})`);
  return role;
}

function secondsArg(value: number, label: string): string {
  if (!Number.isSafeInteger(value) || value < 1 || value > 86_400) {
    throw new ShellValueError(label, `is not a number of seconds in 1..86400 (${String(value)})`);
  }
  return String(value);
}

function identityArgs(target: TProcessIdentity): string {
  const label = `process ${String(target.pid)}`;
  return [
    roleArg(target.role),
    pidArg(target.pid, `${label} pid`),
    ticksArg(target.startTicks, `${label} start ticks`),
    uidArg(target.uid, `${label} uid`),
    pathArg(target.exe, `${label} exe`),
  ].join(" ");
}

function pairArgs(targets: readonly TPidAndTicks[]): string {
  return targets
    .map(
      (t) => `${pidArg(t.pid, "pid")}:${ticksArg(t.startTicks, `start ticks of ${String(t.pid)}`)}`,
    )
    .join(" ");
}

function semArgs(t: TSemIdentity): string {
  return [
    requireUnsignedInt(t.semid, "semid", 0x7fff_ffff),
    requireUnsignedInt(t.key, "semaphore key"),
    uidArg(t.ownerUid, "semaphore owner"),
    pidArg(t.creatorPid, "semaphore creator"),
  ].join(" ");
}

function shmArgs(t: TShmIdentity): string {
  return [
    requireUnsignedInt(t.shmid, "shmid", 0x7fff_ffff),
    requireUnsignedInt(t.key, "segment key"),
    uidArg(t.ownerUid, "segment owner"),
  ].join(" ");
}

function dsmPath(t: TDsmIdentity): string {
  if (!DSM_PATH.test(t.path)) {
    throw new ShellValueError("dsm path", `is not /dev/shm/PostgreSQL.<number> (${t.path})`);
  }
  return shellQuote(t.path);
}

function unitArg(unit: string): string {
  if (!UNIT_NAME.test(unit))
    throw new ShellValueError("unit", `is not a systemd service name (${unit})`);
  return shellQuote(unit);
}

function urlArg(url: string): string {
  if (!REST_URL.test(url))
    throw new ShellValueError("Patroni REST URL", `is not http(s)://host:port (${url})`);
  return shellQuote(url);
}

function unitExpectArgs(expect: TUnitExpectation): string {
  const pid = expect.mainPid === "any" ? "-" : requireUnsignedInt(expect.mainPid, "MainPID");
  if (expect.activeStates.length === 0)
    throw new ShellValueError("ActiveState", "no expected state given");
  const states = expect.activeStates.map((state) => {
    if (!ACTIVE_STATE.test(state))
      throw new ShellValueError("ActiveState", `is not a unit state word (${state})`);
    return state;
  });
  return `${pid} ${states.join(" ")}`;
}

function patroniArgs(p: TPatroniIdentity): string {
  return [
    urlArg(p.url),
    pidArg(p.pid, "Patroni pid"),
    ticksArg(p.startTicks, "Patroni start ticks"),
    p.paused ? "1" : "0",
  ].join(" ");
}

/** The systemctl command line of a verb (mask/unmask only for this boot: --runtime). */
function systemctlWords(systemctl: string, verb: string, unit: string): string {
  const runtime = verb === "mask" || verb === "unmask" ? " --runtime" : "";
  return `${pathArg(systemctl, "systemctl")} ${verb}${runtime} ${unitArg(unit)}`;
}

function pidFileArgs(expect: TPidFileExpectation): string {
  if (expect.kind === "absent") return "absent";
  const mtime = requireUnsignedInt(expect.mtime, "postmaster.pid mtime", MAX_TICKS);
  const line1 =
    expect.line1.kind === "pid"
      ? `pid:${pidArg(expect.line1.pid, "postmaster.pid PID")}`
      : expect.line1.kind;
  return `present ${mtime} ${line1}`;
}

function renderCheck(check: TActionCheck): string {
  switch (check.check) {
    case "tool":
      return `pgr_check_tool ${pathArg(check.path, "tool")}`;
    case "process":
      return `pgr_check_proc ${identityArgs(check.target)}`;
    case "pid-file":
      return `pgr_check_pidfile ${pidFileArgs(check.expect)}`;
    case "pid-file-names":
      return `pgr_check_pidfile_pid ${pidArg(check.pid, "postmaster.pid PID")}`;
    case "pid-file-unowned":
      return `pgr_check_pidfile_unowned ${pidArg(check.pid, "postmaster.pid PID")}`;
    case "absent":
      return `pgr_check_absent ${pathArg(check.path, "path")}`;
    case "socket-lock":
      return `pgr_check_socket_lock ${pathArg(check.path, "socket lock")} ${pidArg(check.pid, "socket lock PID")}`;
    case "pgdata-processes":
      return `pgr_check_pgdata_procs${check.allowed.map((p) => ` ${pidArg(p, "allowed pid")}`).join("")}`;
    case "sem":
      return `pgr_check_sem ${semArgs(check.target)}`;
    case "shm":
      return `pgr_check_shm ${shmArgs(check.target)}`;
    case "dsm":
      return `pgr_check_dsm ${dsmPath(check.target)} ${uidArg(check.target.ownerUid, "dsm owner")}`;
    case "pending-signals":
      return `pgr_report_pending ${pidArg(check.pid, "pid")}`;
    case "unit":
      return `pgr_check_unit ${unitArg(check.unit)} ${unitExpectArgs(check.expect)}`;
    case "sudo": {
      const [systemctl, verb, unit] = check.command;
      if (systemctl === undefined || verb === undefined || unit === undefined)
        throw new ShellValueError("sudo check", "needs systemctl, a verb and a unit");
      return `pgr_check_sudo ${systemctlWords(systemctl, verb, unit)}`;
    }
    case "patroni":
      return `pgr_check_patroni ${patroniArgs(check.patroni)}`;
    case "readable":
      return `pgr_check_readable ${pathArg(check.path, "path")}`;
  }
}

/** Checks every operation implies, in the verify phase (the act phase repeats them right before acting). */
function impliedChecks(op: TActionOp): TActionCheck[] {
  switch (op.op) {
    case "signal":
      return [{ check: "process", target: op.target }];
    case "ipcrm-sem":
      return [{ check: "sem", target: op.target }];
    case "ipcrm-shm":
      return [{ check: "shm", target: op.target }];
    case "remove-dsm":
      return [{ check: "dsm", target: op.target }];
    case "move-pid-file": {
      const checks: TActionCheck[] = [
        { check: "pid-file", expect: op.expect },
        { check: "absent", path: op.to },
      ];
      if (op.unownedPid !== null) checks.push({ check: "pid-file-unowned", pid: op.unownedPid });
      if (op.socketLock !== null) {
        checks.push(
          { check: "socket-lock", path: op.socketLock.path, pid: op.socketLock.pid },
          { check: "absent", path: op.socketLock.to },
        );
      }
      return checks;
    }
    case "pg-ctl-stop":
      return [
        { check: "tool", path: op.pgCtl },
        { check: "process", target: op.postmaster },
        { check: "pid-file-names", pid: op.postmaster.pid },
      ];
    case "pg-ctl-start":
      return [{ check: "tool", path: op.pgCtl }];
    case "systemctl": {
      const checks: TActionCheck[] = [{ check: "tool", path: op.systemctl }];
      if (op.sudo) checks.push({ check: "sudo", command: [op.systemctl, op.verb, op.unit] });
      if (op.expect !== null) checks.push({ check: "unit", unit: op.unit, expect: op.expect });
      if (op.postmaster !== null) checks.push({ check: "process", target: op.postmaster });
      return checks;
    }
    case "patronictl":
      return [
        { check: "tool", path: op.patronictl },
        { check: "readable", path: op.config },
        { check: "patroni", patroni: op.patroni },
      ];
    default:
      return [];
  }
}

type TRendered = { lines: string[]; commands: string[] };

function renderOp(op: TActionOp, spec: TActionSpec): TRendered {
  const pgdata = pathArg(spec.pgdata, "pgdata");
  switch (op.op) {
    case "signal": {
      const text = `kill -${op.signal} ${pidArg(op.target.pid, "pid")}`;
      return {
        lines: [
          `pgr_check_proc ${identityArgs(op.target)} || return 1`,
          `pgr_do ${text} || return 1`,
        ],
        commands: [text],
      };
    }
    case "await-gone":
      return {
        lines: [`pgr_await_gone ${secondsArg(op.limitSec, "wait")} ${pairArgs(op.targets)}`],
        commands: [],
      };
    case "await-reaped":
      return {
        lines: [`pgr_await_reaped ${secondsArg(op.limitSec, "wait")} ${pairArgs(op.targets)}`],
        commands: [],
      };
    case "observe":
      return {
        lines: [`pgr_observe ${secondsArg(op.afterSec, "observe")} ${pairArgs(op.targets)}`],
        commands: [],
      };
    case "report-pgdata-processes":
      return { lines: ["pgr_report_pgdata_procs"], commands: [] };
    case "guard-no-survivors":
      return { lines: ["pgr_no_survivors || return 0"], commands: [] };
    case "ipcrm-sem": {
      const text = `ipcrm -s ${requireUnsignedInt(op.target.semid, "semid", 0x7fff_ffff)}`;
      return {
        lines: [`pgr_check_sem ${semArgs(op.target)} || return 1`, `pgr_do ${text} || return 1`],
        commands: [text],
      };
    }
    case "ipcrm-shm": {
      const text = `ipcrm -m ${requireUnsignedInt(op.target.shmid, "shmid", 0x7fff_ffff)}`;
      return {
        lines: [`pgr_check_shm ${shmArgs(op.target)} || return 1`, `pgr_do ${text} || return 1`],
        commands: [text],
      };
    }
    case "remove-dsm": {
      const path = dsmPath(op.target);
      const text = `rm -- ${path}`;
      return {
        lines: [
          `pgr_check_dsm ${path} ${uidArg(op.target.ownerUid, "dsm owner")} || return 1`,
          `pgr_do ${text} || return 1`,
        ],
        commands: [text],
      };
    }
    case "move-pid-file": {
      const from = pathArg(`${spec.pgdata}/postmaster.pid`, "postmaster.pid");
      const to = pathArg(op.to, "moved postmaster.pid");
      const text = `mv -- ${from} ${to}`;
      const lines = [
        `pgr_check_pidfile ${pidFileArgs(op.expect)} || return 1`,
        `pgr_check_absent ${to} || return 1`,
      ];
      if (op.unownedPid !== null) {
        lines.push(
          `pgr_check_pidfile_unowned ${pidArg(op.unownedPid, "postmaster.pid PID")} || return 1`,
        );
      }
      lines.push("pgr_check_pgdata_procs || return 1", `pgr_do ${text} || return 1`);
      if (op.socketLock === null) return { lines, commands: [text] };
      const lock = pathArg(op.socketLock.path, "socket lock");
      const lockText = `mv -- ${lock} ${pathArg(op.socketLock.to, "moved socket lock")}`;
      lines.push(
        `pgr_check_socket_lock ${lock} ${pidArg(op.socketLock.pid, "socket lock PID")} || return 1`,
        `if [ -f ${lock} ]; then pgr_do ${lockText} || return 1; fi`,
      );
      return { lines, commands: [text, lockText] };
    }
    case "pg-ctl-stop": {
      const text = `${pathArg(op.pgCtl, "pg_ctl")} stop -D ${pgdata} -m ${op.mode} -w -t ${secondsArg(op.timeoutSec, "stop timeout")}`;
      return {
        lines: [
          `pgr_check_proc ${identityArgs(op.postmaster)} || return 1`,
          `pgr_do ${text} || return 1`,
          `pgr_await_gone 5 ${pairArgs([op.postmaster])}`,
          "pgr_report_pgdata_procs",
        ],
        commands: [text],
      };
    }
    case "pg-ctl-start": {
      const log = pathArg(op.logFile, "logFile");
      const text = `${pathArg(op.pgCtl, "pg_ctl")} start -D ${pgdata} -l ${log} -w -t ${secondsArg(op.timeoutSec, "start timeout")}`;
      return {
        lines: [
          "pgr_check_pgdata_procs || return 1",
          `pgr_do ${text} || { pgr_log_tail ${log}; return 1; }`,
        ],
        commands: [text],
      };
    }
    case "verify-ready":
      return {
        lines: [
          `pgr_verify_ready ${pathArg(op.pgIsReady, "pg_isready")} ${pathArg(op.psql, "psql")}`,
        ],
        commands: [],
      };
    case "systemctl": {
      const timeout =
        op.timeoutSec === null ? "" : `timeout ${secondsArg(op.timeoutSec, "systemctl timeout")} `;
      const text = `${timeout}${op.sudo ? "sudo -n " : ""}${systemctlWords(op.systemctl, op.verb, op.unit)}`;
      const lines: string[] = [];
      if (op.postmaster !== null)
        lines.push(`pgr_check_proc ${identityArgs(op.postmaster)} || return 1`);
      if (op.expect !== null)
        lines.push(`pgr_check_unit ${unitArg(op.unit)} ${unitExpectArgs(op.expect)} || return 1`);
      return { lines: [...lines, `pgr_do ${text} || return 1`], commands: [text] };
    }
    case "patronictl": {
      const text = `timeout ${secondsArg(op.timeoutSec, "patronictl timeout")} ${pathArg(op.patronictl, "patronictl")} -c ${pathArg(op.config, "Patroni configuration")} ${op.verb} --wait`;
      return {
        lines: [
          `pgr_check_patroni ${patroniArgs(op.patroni)} || return 1`,
          `pgr_do ${text} || return 1`,
        ],
        commands: [text],
      };
    }
    case "await-ready":
      return {
        lines: [
          `pgr_await_ready ${secondsArg(op.limitSec, "wait")} ${pathArg(op.pgIsReady, "pg_isready")} || ${op.logFile === null ? "return 1" : `{ pgr_log_tail ${pathArg(op.logFile, "logFile")}; return 1; }`}`,
        ],
        commands: [],
      };
    case "verify-unit":
      return { lines: [`pgr_verify_unit ${unitArg(op.unit)}`], commands: [] };
    case "verify-patroni":
      return {
        lines: [
          `pgr_verify_patroni ${urlArg(op.url)} ${secondsArg(op.limitSec, "wait")} ${op.paused ? "1" : "0"}`,
        ],
        commands: [],
      };
  }
}

/** Operations and checks that need supervisor.sh and action-supervisor.sh in the script. */
function needsSupervisorBody(spec: TActionSpec, checks: readonly TActionCheck[]): boolean {
  return (
    spec.operations.some((op) =>
      ["systemctl", "patronictl", "await-ready", "verify-unit", "verify-patroni"].includes(op.op),
    ) || checks.some((c) => ["unit", "sudo", "patroni", "readable"].includes(c.check))
  );
}

function dedupe(lines: readonly string[]): string[] {
  return [...new Set(lines)];
}

/**
 * Build the script of one step. Throws ShellValueError before any text exists when a value cannot
 * be put in a script safely. The body is constant; the generated part consists only of calls of the
 * body's functions with validated numbers, fixed words and single-quoted validated paths.
 */
export function buildActionScript(spec: TActionSpec): TBuiltActionScript {
  const pgdata = requireAbsolutePath(spec.pgdata, "pgdata");
  const pgdataReal = requireAbsolutePath(spec.pgdataReal, "pgdataReal");
  const uid = Number(uidArg(spec.instanceUid, "instance uid"));
  const checks: TActionCheck[] = [...spec.checks, ...spec.operations.flatMap(impliedChecks)];
  const verifyLines = dedupe(checks.map(renderCheck));
  const rendered = spec.operations.map((op) => renderOp(op, spec));
  const actLines = rendered.flatMap((r) => r.lines);
  const tools = [...new Set(spec.tools)].sort().join(" ");
  const supervised = needsSupervisorBody(spec, checks);
  const prelude = renderPrelude([
    ["PGR_ACTION_VERSION", Number(ACTION_VERSION)],
    ["PGR_RUNG", spec.rung],
    ["PGR_PGDATA", pgdata],
    ["PGR_PGDATA_REAL", pgdataReal],
    ["PGR_UID", uid],
    ["PGR_AS_OWNER", spec.requireInstanceUser ? 1 : 0],
    ["PGR_TOOLS", tools],
    ...buildLibPrelude(),
    ["PGR_ISREADY_TIMEOUT", VERIFY_PG_ISREADY_TIMEOUT_SEC],
    ["PGR_LOG_TAIL_LINES", FAILED_START_LOG_LINES],
    ...EXIT_PRELUDE,
    ...(supervised ? buildSupervisorPrelude() : []),
  ]);
  const script = [
    `# pgrescue action v${ACTION_VERSION}: ladder rung ${spec.rung} (POSIX sh). Generated from a fixed template;`,
    "# every value below is validated and single-quoted. It re-verifies everything it touches first.",
    ...prelude,
    "",
    "pgr_verify() {",
    ...verifyLines.map((l) => `  ${l}`),
    "  return 0",
    "}",
    "",
    "pgr_act() {",
    ...actLines.map((l) => `  ${l}`),
    "  return 0",
    "}",
    supervised ? ACTION_SUPERVISOR_SCRIPT_BODY : ACTION_SCRIPT_BODY,
  ].join("\n");
  return { script, stateChangingCommands: rendered.flatMap((r) => r.commands) };
}

/** Human descriptions of what the script re-verifies before acting (explicit and implied checks). */
export function describeActionChecks(spec: TActionSpec): string[] {
  const checks: TActionCheck[] = [...spec.checks, ...spec.operations.flatMap(impliedChecks)];
  return dedupe(checks.map(describeCheck));
}

function describeCheck(check: TActionCheck): string {
  switch (check.check) {
    case "tool":
      return `${check.path} exists and is executable`;
    case "process": {
      const t = check.target;
      return `PID ${t.pid} (${t.role}): still started at tick ${t.startTicks}, uid ${t.uid}, cwd = PGDATA, exe ${t.exe}`;
    }
    case "pid-file":
      return check.expect.kind === "absent"
        ? "postmaster.pid still does not exist"
        : `postmaster.pid unchanged (mtime ${check.expect.mtime}${check.expect.line1.kind === "pid" ? `, PID ${check.expect.line1.pid}` : check.expect.line1.kind === "empty" ? ", empty" : ""})`;
    case "pid-file-names":
      return `postmaster.pid still names PID ${check.pid}`;
    case "pid-file-unowned":
      return `PID ${check.pid} of postmaster.pid is not a live process working in PGDATA`;
    case "absent":
      return `${check.path} does not exist`;
    case "socket-lock":
      return `${check.path}, if it exists, names PID ${check.pid} and this PGDATA`;
    case "pgdata-processes":
      return check.allowed.length === 0
        ? "no PostgreSQL process works in PGDATA"
        : `no PostgreSQL process works in PGDATA except PIDs ${check.allowed.join(", ")}`;
    case "sem":
      return `semaphore set ${check.target.semid}: key ${check.target.key}, owner uid ${check.target.ownerUid}, 17 semaphores, 537 in the last one, set by PID ${check.target.creatorPid} which is not alive`;
    case "shm":
      return `segment ${check.target.shmid}: key ${check.target.key}, owner uid ${check.target.ownerUid}, nattch 0`;
    case "dsm":
      return `${check.target.path}: owner uid ${check.target.ownerUid}, mapped by no process, no SysV segment of that user, no PostgreSQL process running`;
    case "pending-signals":
      return `reports signals pending on PID ${check.pid} (informational)`;
    case "unit":
      return `${check.unit}: ${check.expect.mainPid === "any" ? "" : `MainPID ${check.expect.mainPid}, `}ActiveState ${check.expect.activeStates.join(" or ")} (systemctl show)`;
    case "sudo":
      return `sudo -n -l allows this login to run ${check.command[0] ?? ""} ${check.command[1] ?? ""}${check.command[1] === "mask" || check.command[1] === "unmask" ? " --runtime" : ""} ${check.command[2] ?? ""} (otherwise nothing runs)`;
    case "patroni":
      return `Patroni PID ${check.patroni.pid} still started at tick ${check.patroni.startTicks}, and ${check.patroni.paused ? "paused" : "not paused"} (GET ${check.patroni.url}/patroni)`;
    case "readable":
      return `${check.path} is readable`;
  }
}

/** The generated directives of a script (between the header and the constant body). */
export function extractActionDirectives(script: string): string {
  const start = script.indexOf("pgr_verify() {");
  const end = script.indexOf(ACTION_BODY_MARKER);
  return start === -1 || end === -1 ? "" : `${script.slice(start, end).trimEnd()}\n`;
}

/** Every state-changing command a script runs: the arguments of its `pgr_do` lines. */
export function listStateChangingCommands(script: string): string[] {
  const commands: string[] = [];
  for (const line of extractActionDirectives(script).split("\n")) {
    const m =
      /^\s*(?:if \[ -f '[^']*' \]; then )?pgr_do (.*?) \|\| (?:return 1(?:; fi)?|\{.*\})$/.exec(
        line,
      );
    if (m?.[1] !== undefined) commands.push(m[1]);
  }
  return commands;
}
