// State-changing action scripts: a constant POSIX sh body plus validated, quoted directives per step.
import {
  ShellValueError,
  requireAbsolutePath,
  requirePid,
  requireUnsignedInt,
  shellQuote,
} from "../shell/quote.ts";
import type { TRung } from "../diagnosis/snapshot-schema.ts";
import { ACTION_VERSION } from "./action-protocol.ts";

/** A process exactly as the diagnosis saw it; the script refuses to touch it if any of this changed. */
export type TProcessIdentity = {
  pid: number;
  /** Field 22 of /proc/PID/stat (clock ticks after boot). */
  startTicks: number;
  uid: number;
  /** /proc/PID/exe without a trailing " (deleted)". */
  exe: string;
  /** A word for output lines (`postmaster`, `client-backend`, …). */
  role: string;
};

export type TPidAndTicks = { pid: number; startTicks: number };

export type TSemIdentity = { semid: number; key: number; ownerUid: number; creatorPid: number };
export type TShmIdentity = { shmid: number; key: number; ownerUid: number };
export type TDsmIdentity = { path: string; ownerUid: number };

/** What postmaster.pid must look like: absent, or present with this mtime and first line. */
export type TPidFileExpectation =
  | { kind: "absent" }
  | {
      kind: "present";
      mtime: number;
      line1: { kind: "pid"; pid: number } | { kind: "empty" } | { kind: "any" };
    };

export type TActionCheck =
  | { check: "tool"; path: string }
  | { check: "process"; target: TProcessIdentity }
  | { check: "pid-file"; expect: TPidFileExpectation }
  /** postmaster.pid exists and its line 1 is this PID (its mtime changes with every status update). */
  | { check: "pid-file-names"; pid: number }
  /** The PID in postmaster.pid is not a live process working in PGDATA. */
  | { check: "pid-file-unowned"; pid: number }
  | { check: "absent"; path: string }
  /** A socket lock file, if it exists, names this PID and this PGDATA (lines 1 and 2). */
  | { check: "socket-lock"; path: string; pid: number }
  /** No live PostgreSQL process in PGDATA except these PIDs. */
  | { check: "pgdata-processes"; allowed: number[] }
  | { check: "sem"; target: TSemIdentity }
  | { check: "shm"; target: TShmIdentity }
  | { check: "dsm"; target: TDsmIdentity }
  /** Informational: reports SIGINT/SIGQUIT/SIGTERM pending on a process (never refuses). */
  | { check: "pending-signals"; pid: number };

export type TSignal = "CONT" | "STOP" | "KILL";

export type TActionOp =
  | { op: "signal"; signal: TSignal; target: TProcessIdentity }
  | { op: "await-gone"; limitSec: number; targets: TPidAndTicks[] }
  | { op: "await-reaped"; limitSec: number; targets: TPidAndTicks[] }
  | { op: "observe"; afterSec: number; targets: TPidAndTicks[] }
  | { op: "report-pgdata-processes" }
  | { op: "guard-no-survivors" }
  | { op: "ipcrm-sem"; target: TSemIdentity }
  | { op: "ipcrm-shm"; target: TShmIdentity }
  | { op: "remove-dsm"; target: TDsmIdentity }
  | {
      op: "move-pid-file";
      expect: TPidFileExpectation;
      unownedPid: number | null;
      to: string;
      /** The first socket directory's `.s.PGSQL.<port>.lock`, which names the same PID. */
      socketLock: { path: string; to: string; pid: number } | null;
    }
  | {
      op: "pg-ctl-stop";
      pgCtl: string;
      mode: "fast" | "immediate";
      timeoutSec: number;
      postmaster: TProcessIdentity;
    }
  | { op: "pg-ctl-start"; pgCtl: string; logFile: string; timeoutSec: number }
  | { op: "verify-ready"; pgIsReady: string; psql: string };

export type TActionSpec = {
  rung: TRung;
  /** PGDATA as configured (pg_ctl -D) and as resolved on the host (compared with /proc/PID/cwd). */
  pgdata: string;
  pgdataReal: string;
  instanceUid: number;
  /** pg_ctl refuses root: the script must run as exactly the instance's uid. */
  requireInstanceUser: boolean;
  /** Extra tools the host must have (beyond the base set). */
  tools: "ipcs"[];
  /** Checks of the verify phase, besides the ones every operation implies. */
  checks: TActionCheck[];
  operations: TActionOp[];
};

export type TBuiltActionScript = {
  script: string;
  /** Exactly the state-changing commands of the script, in order, as written in it. */
  stateChangingCommands: string[];
};

const MAX_TICKS = Number.MAX_SAFE_INTEGER;
const ROLE_WORD = /^[a-z][a-z-]{0,39}$/;
const DSM_PATH = /^\/dev\/shm\/PostgreSQL\.\d{1,10}$/;

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
  }
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
  const pgdata = pathArg(spec.pgdata, "pgdata");
  const pgdataReal = pathArg(spec.pgdataReal, "pgdataReal");
  const uid = uidArg(spec.instanceUid, "instance uid");
  const checks: TActionCheck[] = [...spec.checks, ...spec.operations.flatMap(impliedChecks)];
  const verifyLines = dedupe(checks.map(renderCheck));
  const rendered = spec.operations.map((op) => renderOp(op, spec));
  const actLines = rendered.flatMap((r) => r.lines);
  const tools = [...new Set(spec.tools)].sort().join(" ");
  const script = [
    `# pgrescue action v${ACTION_VERSION}: ladder rung ${spec.rung} (POSIX sh). Generated from a fixed template;`,
    "# every value below is validated and single-quoted. It re-verifies everything it touches first.",
    `PGR_ACTION_VERSION=${ACTION_VERSION}`,
    `PGR_RUNG=${spec.rung}`,
    `PGR_PGDATA=${pgdata}`,
    `PGR_PGDATA_REAL=${pgdataReal}`,
    `PGR_UID=${uid}`,
    `PGR_AS_OWNER=${spec.requireInstanceUser ? "1" : "0"}`,
    `PGR_TOOLS='${tools}'`,
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
    ACTION_BODY,
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

const ACTION_BODY_MARKER = "# --- pgrescue action body (constant) ---";

// The constant body. Nothing here changes the host except `pgr_do`, which runs exactly the
// commands written in pgr_act above (and nothing else calls it). Every function a check uses is
// read-only: /proc, /proc/sysvipc, readlink, stat, ipcs -s -i, pg_isready, psql `select 1`.
// Awk programs avoid `>` (the read-only scanner treats it as output redirection) and tool output
// is quoted with `|` so that it can never forge a `@@pgrescue:` line. `§{` stands for `${`.
const ACTION_BODY = String.raw`
${ACTION_BODY_MARKER}
pgr_emit() { printf '%s%s\n' "$PGR_M" "$*"; }
pgr_say() { printf '%s\n' "$*"; }
pgr_quote() { tr -d '\000' | awk '{ print "|" $0 }'; }
pgr_enc() {
  printf '%s' "$1" | tr -d '\000' | awk 'BEGIN { ORS = "" } { gsub(/%/, "%25"); gsub(/ /, "%20"); gsub(/\t/, "%09"); gsub(/[\001-\037\177]/, "?"); if (1 < NR) print "%0A"; print }'
}
pgr_have() { command -v "$1" >/dev/null 2>&1; }
pgr_bounded() {
  if pgr_have timeout; then timeout 10 "$@"; else "$@"; fi
}
pgr_now() { date +%s; }
pgr_nap() { sleep 0.1 2>/dev/null || sleep 1; }

pgr_refuse() {
  pgr_refusals=$((pgr_refusals + 1))
  pgr_emit "refuse phase=$pgr_phase $1"
  pgr_say "refused: $2"
}
pgr_unable() {
  pgr_unables=$((pgr_unables + 1))
  pgr_emit "unable $1"
  pgr_say "cannot run: $2"
}
pgr_notice() {
  pgr_emit "notice $1"
  pgr_say "note: $2"
}

# pgr_read_proc PID: sets pgr_state and pgr_ticks (field 22) from /proc/PID/stat; 1 if gone.
# comm (field 2) may contain spaces and parentheses: fields are counted after the last ')'.
pgr_read_proc() {
  pgr_state=
  pgr_ticks=
  pgr_line=
  [ -r "/proc/$1/stat" ] || return 1
  { IFS= read -r pgr_line <"/proc/$1/stat"; } 2>/dev/null
  [ -n "$pgr_line" ] || return 1
  pgr_rest=§{pgr_line##*)}
  set -f
  set -- $pgr_rest
  set +f
  [ "$#" -ge 20 ] || return 1
  pgr_state=$1
  shift 19
  pgr_ticks=$1
  return 0
}
pgr_proc_uid() { awk '$1 == "Uid:" { print $2; exit }' "/proc/$1/status" 2>/dev/null; }
pgr_alive() {
  pgr_read_proc "$1" && [ "$pgr_ticks" = "$2" ] && [ "$pgr_state" != Z ]
}

# pgr_check_proc ROLE PID TICKS UID EXE: the very process of the diagnosis, in PGDATA, same binary and owner.
pgr_check_proc() {
  pgr_c_role=$1
  pgr_c_pid=$2
  pgr_c_ticks=$3
  pgr_c_uid=$4
  pgr_c_exe=$5
  pgr_c_id="pid=$pgr_c_pid role=$pgr_c_role"
  if ! pgr_read_proc "$pgr_c_pid"; then
    pgr_refuse "$pgr_c_id reason=gone expected=$pgr_c_ticks" "PID $pgr_c_pid ($pgr_c_role) no longer exists"
    return 1
  fi
  if [ "$pgr_ticks" != "$pgr_c_ticks" ]; then
    pgr_refuse "$pgr_c_id reason=start-time-changed expected=$pgr_c_ticks found=$pgr_ticks" "PID $pgr_c_pid now belongs to a process started at tick $pgr_ticks, not $pgr_c_ticks: a different process, it will not be touched"
    return 1
  fi
  if [ "$pgr_state" = Z ]; then
    pgr_refuse "$pgr_c_id reason=exited found=Z" "PID $pgr_c_pid ($pgr_c_role) has exited since the diagnosis (zombie)"
    return 1
  fi
  pgr_c_state=$pgr_state
  pgr_c_ok=1
  pgr_f=$(pgr_proc_uid "$pgr_c_pid")
  if [ "$pgr_f" != "$pgr_c_uid" ]; then
    pgr_refuse "$pgr_c_id reason=uid-changed expected=$pgr_c_uid found=$(pgr_enc "$pgr_f")" "PID $pgr_c_pid runs as uid $(pgr_enc "$pgr_f"), not $pgr_c_uid"
    pgr_c_ok=
  fi
  pgr_f=$(readlink "/proc/$pgr_c_pid/cwd" 2>/dev/null)
  if [ "$pgr_f" != "$PGR_PGDATA_REAL" ]; then
    pgr_f=$(pgr_enc "§{pgr_f:-unreadable}")
    pgr_refuse "$pgr_c_id reason=cwd-changed expected=$(pgr_enc "$PGR_PGDATA_REAL") found=$pgr_f" "PID $pgr_c_pid works in $pgr_f, not in PGDATA"
    pgr_c_ok=
  fi
  pgr_f=$(readlink "/proc/$pgr_c_pid/exe" 2>/dev/null)
  pgr_f=§{pgr_f%' (deleted)'}
  if [ "$pgr_f" != "$pgr_c_exe" ]; then
    pgr_f=$(pgr_enc "§{pgr_f:-unreadable}")
    pgr_refuse "$pgr_c_id reason=exe-changed expected=$(pgr_enc "$pgr_c_exe") found=$pgr_f" "PID $pgr_c_pid runs $pgr_f, not $(pgr_enc "$pgr_c_exe")"
    pgr_c_ok=
  fi
  [ -n "$pgr_c_ok" ] || return 1
  if [ "$pgr_phase" = verify ]; then pgr_emit "check $pgr_c_id state=$pgr_c_state result=ok"; fi
  return 0
}

pgr_check_tool() {
  if [ ! -f "$1" ] || [ ! -x "$1" ]; then
    pgr_unable "reason=tool-missing tool=$(pgr_enc "$1")" "$(pgr_enc "$1") is not an executable file on this host"
    return 1
  fi
  return 0
}

# pgr_check_pidfile absent | present MTIME pid:N|empty|any
pgr_check_pidfile() {
  pgr_pf=$PGR_PGDATA/postmaster.pid
  if [ "$1" = absent ]; then
    if [ -e "$pgr_pf" ] || [ -L "$pgr_pf" ]; then
      pgr_refuse "object=pidfile reason=pidfile-appeared" "postmaster.pid exists now; it did not at the diagnosis"
      return 1
    fi
    if [ "$pgr_phase" = verify ]; then pgr_emit "check object=pidfile state=absent result=ok"; fi
    return 0
  fi
  if [ ! -f "$pgr_pf" ]; then
    pgr_refuse "object=pidfile reason=pidfile-gone" "postmaster.pid is gone since the diagnosis"
    return 1
  fi
  pgr_f=$(stat -c %Y "$pgr_pf" 2>/dev/null)
  if [ "$pgr_f" != "$2" ]; then
    pgr_refuse "object=pidfile reason=pidfile-changed field=mtime expected=$2 found=$(pgr_enc "$pgr_f")" "postmaster.pid was modified since the diagnosis"
    return 1
  fi
  pgr_check_pidfile_line1 "$3" || return 1
  if [ "$pgr_phase" = verify ]; then pgr_emit "check object=pidfile mtime=$2 result=ok"; fi
  return 0
}
pgr_check_pidfile_line1() {
  pgr_l1=
  { IFS= read -r pgr_l1 <"$PGR_PGDATA/postmaster.pid"; } 2>/dev/null
  case $1 in
    pid:*) pgr_want=§{1#pid:} ;;
    empty) pgr_want= ;;
    *) return 0 ;;
  esac
  if [ "$pgr_l1" != "$pgr_want" ]; then
    pgr_refuse "object=pidfile reason=pidfile-changed field=line1 expected=$pgr_want found=$(pgr_enc "$pgr_l1")" "postmaster.pid now names $(pgr_enc "$pgr_l1"), not $pgr_want"
    return 1
  fi
  return 0
}
pgr_check_pidfile_pid() {
  if [ ! -f "$PGR_PGDATA/postmaster.pid" ]; then
    pgr_refuse "object=pidfile reason=pidfile-gone" "postmaster.pid is gone since the diagnosis"
    return 1
  fi
  pgr_check_pidfile_line1 "pid:$1"
}
# The PID named in postmaster.pid must not be a live process working in PGDATA.
pgr_check_pidfile_unowned() {
  if pgr_read_proc "$1" && [ "$pgr_state" != Z ]; then
    pgr_f=$(readlink "/proc/$1/cwd" 2>/dev/null)
    if [ "$pgr_f" = "$PGR_PGDATA_REAL" ]; then
      pgr_refuse "object=pidfile pid=$1 reason=pidfile-owner-alive" "PID $1 of postmaster.pid is alive and works in PGDATA: its pid file is never moved"
      return 1
    fi
  fi
  return 0
}
pgr_check_absent() {
  if [ -e "$1" ] || [ -L "$1" ]; then
    pgr_refuse "object=file reason=destination-exists path=$(pgr_enc "$1")" "$(pgr_enc "$1") already exists"
    return 1
  fi
  return 0
}

# pgr_check_socket_lock PATH PID: absent, or written by that PID for this PGDATA (lines 1 and 2).
pgr_check_socket_lock() {
  [ -e "$1" ] || return 0
  pgr_l1=
  pgr_l2=
  {
    IFS= read -r pgr_l1
    IFS= read -r pgr_l2
  } 2>/dev/null <"$1"
  if [ "$pgr_l1" != "$2" ]; then
    pgr_refuse "object=socket-lock reason=socket-lock-changed expected=$2 found=$(pgr_enc "$pgr_l1")" "$(pgr_enc "$1") names PID $(pgr_enc "$pgr_l1"), not $2"
    return 1
  fi
  if [ "$pgr_l2" != "$PGR_PGDATA" ] && [ "$pgr_l2" != "$PGR_PGDATA_REAL" ]; then
    pgr_refuse "object=socket-lock reason=socket-lock-foreign found=$(pgr_enc "$pgr_l2")" "$(pgr_enc "$1") belongs to data directory $(pgr_enc "$pgr_l2")"
    return 1
  fi
  if [ "$pgr_phase" = verify ]; then pgr_emit "check object=socket-lock pid=$2 result=ok"; fi
  return 0
}

# PIDs whose working directory is PGDATA (readable links only: own processes, or all as root).
pgr_pgdata_pids() {
  ls -l /proc/[0-9]*/cwd 2>/dev/null | awk -v r="$PGR_PGDATA_REAL" '{ s = " -> " r; n = length(s); if (n < length($0) && substr($0, length($0) - n + 1) == s) { p = $0; sub(/\/cwd -> .*$/, "", p); sub(/^.*\/proc\//, "", p); print p } }'
}
pgr_is_pg_exe() {
  pgr_e=$(readlink "/proc/$1/exe" 2>/dev/null)
  case §{pgr_e##*/} in
    *postgres* | *postmaster*) return 0 ;;
  esac
  return 1
}
# pgr_check_pgdata_procs [ALLOWED_PID...]: no other PostgreSQL process works in PGDATA.
pgr_check_pgdata_procs() {
  pgr_g_ok=1
  for pgr_g in $(pgr_pgdata_pids); do
    case " $* " in *" $pgr_g "*) continue ;; esac
    pgr_is_pg_exe "$pgr_g" || continue
    pgr_read_proc "$pgr_g" || continue
    [ "$pgr_state" != Z ] || continue
    pgr_refuse "pid=$pgr_g reason=unplanned-process state=$pgr_state" "PID $pgr_g runs a PostgreSQL binary in PGDATA and is not part of this plan"
    pgr_g_ok=
  done
  [ -n "$pgr_g_ok" ] || return 1
  if [ "$pgr_phase" = verify ]; then pgr_emit "check object=pgdata-processes planned=$# result=ok"; fi
  return 0
}
pgr_report_pgdata_procs() {
  for pgr_g in $(pgr_pgdata_pids); do
    pgr_is_pg_exe "$pgr_g" || continue
    pgr_read_proc "$pgr_g" || continue
    [ "$pgr_state" != Z ] || continue
    pgr_notice "pid=$pgr_g reason=still-running state=$pgr_state" "PID $pgr_g (state $pgr_state) still runs a PostgreSQL binary in PGDATA"
    pgr_survivors=$((pgr_survivors + 1))
  done
}

# pgr_check_sem SEMID KEY UID CREATOR: PostgreSQL's shape and magic, created by this instance's dead postmaster.
pgr_check_sem() {
  pgr_s_id=$1
  pgr_s_key=$2
  pgr_s_uid=$3
  pgr_s_creator=$4
  pgr_s_at="object=sem id=$pgr_s_id"
  pgr_s_row=$(awk -v id="$pgr_s_id" '1 < NR && $2 == id { k = $1 + 0; if (k < 0) k += 4294967296; printf "%.0f %s %s %s\n", k, $5, $4, $10; exit }' /proc/sysvipc/sem 2>/dev/null)
  if [ -z "$pgr_s_row" ]; then
    pgr_refuse "$pgr_s_at reason=sem-gone" "semaphore set $pgr_s_id no longer exists"
    return 1
  fi
  set -- $pgr_s_row
  pgr_s_ok=1
  if [ "$1" != "$pgr_s_key" ]; then
    pgr_refuse "$pgr_s_at reason=sem-key-changed expected=$pgr_s_key found=$1" "semaphore set $pgr_s_id now has key $1, not $pgr_s_key"
    pgr_s_ok=
  fi
  if [ "$2" != "$pgr_s_uid" ]; then
    pgr_refuse "$pgr_s_at reason=sem-owner-changed expected=$pgr_s_uid found=$2" "semaphore set $pgr_s_id belongs to uid $2"
    pgr_s_ok=
  fi
  if [ "$3" != 17 ]; then
    pgr_refuse "$pgr_s_at reason=sem-shape-changed expected=17 found=$3" "semaphore set $pgr_s_id has $3 semaphores, not PostgreSQL's 17"
    pgr_s_ok=
  fi
  pgr_s_ctime=$4
  [ -n "$pgr_s_ok" ] || return 1
  pgr_s_info=$(ipcs -s -i "$pgr_s_id" 2>/dev/null | awk '$1 == "16" && NF == 5 { print $2 " " $5 }')
  if [ -z "$pgr_s_info" ]; then
    pgr_refuse "$pgr_s_at reason=sem-unreadable" "ipcs -s -i $pgr_s_id could not read the set's values"
    return 1
  fi
  set -- $pgr_s_info
  if [ "$1" != 537 ]; then
    pgr_refuse "$pgr_s_at reason=sem-magic-missing expected=537 found=$1" "semaphore 16 of set $pgr_s_id holds $1, not PostgreSQL's marker 537"
    pgr_s_ok=
  fi
  if [ "$2" != "$pgr_s_creator" ]; then
    pgr_refuse "$pgr_s_at reason=sem-creator-changed expected=$pgr_s_creator found=$2" "semaphore set $pgr_s_id was last set by PID $2, not by postmaster $pgr_s_creator"
    pgr_s_ok=
  fi
  if pgr_read_proc "$pgr_s_creator" && [ "$pgr_state" != Z ]; then
    pgr_s_started=$(awk -v t="$pgr_ticks" -v b="$pgr_btime" -v h="$pgr_clk" 'BEGIN { printf "%.0f\n", b + t / h }')
    if [ "$pgr_s_started" -le $((pgr_s_ctime + 5)) ]; then
      pgr_refuse "$pgr_s_at pid=$pgr_s_creator reason=sem-creator-alive" "the creator of semaphore set $pgr_s_id, PID $pgr_s_creator, is alive"
      pgr_s_ok=
    fi
  fi
  [ -n "$pgr_s_ok" ] || return 1
  if [ "$pgr_phase" = verify ]; then pgr_emit "check $pgr_s_at result=ok"; fi
  return 0
}

# pgr_check_shm SHMID KEY UID: the segment exists as recorded and nobody is attached.
pgr_check_shm() {
  pgr_m_at="object=shm id=$1"
  pgr_m_row=$(awk -v id="$1" '1 < NR && $2 == id { k = $1 + 0; if (k < 0) k += 4294967296; printf "%.0f %s %s\n", k, $8, $7; exit }' /proc/sysvipc/shm 2>/dev/null)
  if [ -z "$pgr_m_row" ]; then
    pgr_refuse "$pgr_m_at reason=shm-gone" "shared memory segment $1 no longer exists"
    return 1
  fi
  pgr_m_key=$2
  pgr_m_uid=$3
  set -- $pgr_m_row
  pgr_m_ok=1
  if [ "$1" != "$pgr_m_key" ]; then
    pgr_refuse "$pgr_m_at reason=shm-key-changed expected=$pgr_m_key found=$1" "the segment now has key $1"
    pgr_m_ok=
  fi
  if [ "$2" != "$pgr_m_uid" ]; then
    pgr_refuse "$pgr_m_at reason=shm-owner-changed expected=$pgr_m_uid found=$2" "the segment belongs to uid $2"
    pgr_m_ok=
  fi
  if [ "$3" != 0 ]; then
    pgr_refuse "$pgr_m_at reason=shm-attached expected=0 found=$3" "$3 process(es) are attached to the segment"
    pgr_m_ok=
  fi
  [ -n "$pgr_m_ok" ] || return 1
  if [ "$pgr_phase" = verify ]; then pgr_emit "check $pgr_m_at result=ok"; fi
  return 0
}

# pgr_check_dsm PATH UID: owned by the instance user, mapped by nobody, nothing left to clean it up.
pgr_check_dsm() {
  pgr_d_at="object=dsm path=$(pgr_enc "$1")"
  if [ ! -f "$1" ]; then
    pgr_refuse "$pgr_d_at reason=dsm-gone" "$1 no longer exists"
    return 1
  fi
  pgr_f=$(stat -c %u "$1" 2>/dev/null)
  if [ "$pgr_f" != "$2" ]; then
    pgr_refuse "$pgr_d_at reason=dsm-owner-changed expected=$2 found=$(pgr_enc "$pgr_f")" "$1 belongs to uid $(pgr_enc "$pgr_f")"
    return 1
  fi
  for pgr_g in $(grep -l -F -e "$1" /proc/[0-9]*/maps 2>/dev/null); do
    if awk -v p="$1" '$NF == p || ($NF == "(deleted)" && $(NF - 1) == p) { f = 1 } END { exit !f }' "$pgr_g" 2>/dev/null; then
      pgr_g=§{pgr_g#/proc/}
      pgr_refuse "$pgr_d_at reason=dsm-mapped pid=§{pgr_g%/maps}" "$1 is mapped by PID §{pgr_g%/maps}"
      return 1
    fi
  done
  pgr_f=$(awk -v u="$2" '1 < NR && $8 == u { print $2; exit }' /proc/sysvipc/shm 2>/dev/null)
  if [ -n "$pgr_f" ]; then
    pgr_refuse "$pgr_d_at reason=dsm-control-segment id=$pgr_f" "SysV segment $pgr_f of the same user remains: PostgreSQL removes $1 itself through it"
    return 1
  fi
  pgr_f=$(ls -l /proc/[0-9]*/exe 2>/dev/null | awk '{ e = $NF; if (e == "(deleted)") e = $(NF - 1); sub(/^.*\//, "", e) } e ~ /postgres|postmaster/ { p = $0; sub(/\/exe -> .*$/, "", p); sub(/^.*\/proc\//, "", p); print p; exit }')
  if [ -n "$pgr_f" ]; then
    pgr_refuse "$pgr_d_at reason=dsm-postgres-running pid=$pgr_f" "a PostgreSQL process (PID $pgr_f) runs: $1 may be its segment"
    return 1
  fi
  if [ "$pgr_phase" = verify ]; then pgr_emit "check $pgr_d_at result=ok"; fi
  return 0
}

# Informational: signals already pending on a process act as soon as it runs again.
pgr_report_pending() {
  pgr_f=$(awk '$1 == "ShdPnd:" || $1 == "SigPnd:" { print $2 }' "/proc/$1/status" 2>/dev/null | awk '{ n = length($0); v = index("0123456789abcdef", substr($0, n, 1)) - 1; w = index("0123456789abcdef", substr($0, n - 3, 1)) - 1; if (int(v / 2) % 2) s["SIGINT"] = 1; if (int(v / 4) % 2) s["SIGQUIT"] = 1; if (int(w / 4) % 2) s["SIGTERM"] = 1 } END { for (k in s) o = o (o == "" ? "" : ",") k; print o }')
  if [ -n "$pgr_f" ]; then
    pgr_notice "pid=$1 reason=pending-signals signals=$pgr_f" "PID $1 has $pgr_f pending (from an earlier stop attempt?): it acts on that as soon as it runs again"
  fi
  return 0
}

pgr_describe() {
  case $1 in
    kill) pgr_what="kill pid=$3 signal=§{2#-}" ;;
    ipcrm)
      if [ "$2" = -s ]; then pgr_what="ipcrm kind=sem id=$3"; else pgr_what="ipcrm kind=shm id=$3"; fi
      ;;
    mv) pgr_what="mv from=$(pgr_enc "$3") to=$(pgr_enc "$4")" ;;
    rm) pgr_what="rm path=$(pgr_enc "$3")" ;;
    */pg_ctl)
      if [ "$2" = stop ]; then pgr_what="pg_ctl op=stop mode=$6"; else pgr_what="pg_ctl op=$2"; fi
      ;;
    *) pgr_what="command name=$(pgr_enc "$1")" ;;
  esac
}

# pgr_do COMMAND...: the only place a command that changes the host runs.
pgr_do() {
  pgr_describe "$@"
  pgr_emit "run $pgr_what"
  pgr_out=$("$@" 2>&1 </dev/null)
  pgr_rc=$?
  if [ "$pgr_rc" -eq 0 ]; then
    pgr_emit "action $pgr_what result=ok rc=0"
  elif [ "$1" = kill ] && ! pgr_read_proc "$3"; then
    pgr_emit "action $pgr_what result=gone rc=$pgr_rc"
    pgr_rc=0
  else
    pgr_emit "action $pgr_what result=failed rc=$pgr_rc"
  fi
  if [ -n "$pgr_out" ]; then printf '%s\n' "$pgr_out" | pgr_quote; fi
  [ "$pgr_rc" -eq 0 ]
}

# pgr_await_gone SECONDS PID:TICKS...: wait until each process has died (gone, or a zombie awaiting its parent).
pgr_await_gone() {
  pgr_w_end=$(($(pgr_now) + $1))
  shift
  while :; do
    pgr_w_left=
    for pgr_w in "$@"; do
      if pgr_alive "§{pgr_w%%:*}" "§{pgr_w#*:}"; then
        pgr_w_left=1
        break
      fi
    done
    [ -n "$pgr_w_left" ] || break
    [ "$(pgr_now)" -lt "$pgr_w_end" ] || break
    pgr_nap
  done
  for pgr_w in "$@"; do
    pgr_w_pid=§{pgr_w%%:*}
    if ! pgr_read_proc "$pgr_w_pid" || [ "$pgr_ticks" != "§{pgr_w#*:}" ]; then
      pgr_emit "wait pid=$pgr_w_pid outcome=gone"
    elif [ "$pgr_state" = Z ]; then
      pgr_emit "wait pid=$pgr_w_pid outcome=exited state=Z"
    else
      pgr_w_chan=$(cat "/proc/$pgr_w_pid/wchan" 2>/dev/null)
      pgr_w_chan=$(pgr_enc "§{pgr_w_chan:-0}")
      pgr_emit "wait pid=$pgr_w_pid outcome=survived state=$pgr_state wchan=$pgr_w_chan"
      if [ "$pgr_state" = D ]; then
        pgr_say "PID $pgr_w_pid survived SIGKILL: it is in uninterruptible sleep (D, wchan $pgr_w_chan); it dies when its kernel call returns (check the storage, NFS)"
      else
        pgr_say "PID $pgr_w_pid still exists (state $pgr_state, wchan $pgr_w_chan)"
      fi
      pgr_survivors=$((pgr_survivors + 1))
    fi
  done
  return 0
}

# pgr_await_reaped SECONDS PID:TICKS...: zombies disappear once their parent reaps them (or init, after the parent died).
pgr_await_reaped() {
  pgr_w_end=$(($(pgr_now) + $1))
  shift
  while :; do
    pgr_w_left=
    for pgr_w in "$@"; do
      if pgr_read_proc "§{pgr_w%%:*}" && [ "$pgr_ticks" = "§{pgr_w#*:}" ]; then
        pgr_w_left=1
        break
      fi
    done
    [ -n "$pgr_w_left" ] || break
    [ "$(pgr_now)" -lt "$pgr_w_end" ] || break
    pgr_nap
  done
  for pgr_w in "$@"; do
    pgr_w_pid=§{pgr_w%%:*}
    if pgr_read_proc "$pgr_w_pid" && [ "$pgr_ticks" = "§{pgr_w#*:}" ]; then
      pgr_w_pp=$(awk '$1 == "PPid:" { print $2; exit }' "/proc/$pgr_w_pid/status" 2>/dev/null)
      pgr_emit "reap pid=$pgr_w_pid outcome=not-reaped state=$pgr_state ppid=$(pgr_enc "$pgr_w_pp")"
    else
      pgr_emit "reap pid=$pgr_w_pid outcome=reaped"
    fi
  done
  return 0
}

# pgr_observe SECONDS PID:TICKS...: the states a moment after an action (informational).
pgr_observe() {
  sleep "$1"
  shift
  for pgr_w in "$@"; do
    pgr_w_pid=§{pgr_w%%:*}
    if pgr_read_proc "$pgr_w_pid" && [ "$pgr_ticks" = "§{pgr_w#*:}" ]; then
      pgr_emit "observe pid=$pgr_w_pid state=$pgr_state"
    else
      pgr_emit "observe pid=$pgr_w_pid state=gone"
    fi
  done
  return 0
}

pgr_no_survivors() {
  if [ "$pgr_survivors" -gt 0 ]; then
    pgr_emit "skip step=cleanup reason=survivors"
    pgr_say "cleanup skipped: $pgr_survivors process(es) of this instance still exist"
    return 1
  fi
  return 0
}

pgr_log_tail() {
  if [ -r "$1" ]; then
    pgr_emit "log file=$(pgr_enc "$1")"
    tail -n 20 "$1" 2>/dev/null | pgr_quote
  fi
}

# pgr_verify_ready PG_ISREADY PSQL: ask the server named by the new postmaster.pid, then run select 1.
pgr_verify_ready() {
  pgr_v_port=
  pgr_v_sock=
  pgr_v_listen=
  {
    IFS= read -r pgr_l1
    IFS= read -r pgr_l2
    IFS= read -r pgr_l3
    IFS= read -r pgr_l4
    IFS= read -r pgr_l5
    IFS= read -r pgr_l6
  } 2>/dev/null <"$PGR_PGDATA/postmaster.pid"
  case $pgr_l4 in
    '' | *[!0-9]*) ;;
    *) pgr_v_port=$pgr_l4 ;;
  esac
  case $pgr_l5 in
    /*) pgr_v_sock=$pgr_l5 ;;
  esac
  case $pgr_l6 in
    '' | *[!0-9A-Za-z.:*-]*) ;;
    *) pgr_v_listen=$pgr_l6 ;;
  esac
  pgr_v_host=$pgr_v_sock
  if [ -z "$pgr_v_host" ]; then
    case $pgr_v_listen in
      '' | '*') pgr_v_host=localhost ;;
      *) pgr_v_host=$pgr_v_listen ;;
    esac
  fi
  if [ -z "$pgr_v_port" ]; then
    pgr_emit "verify tool=pg_isready result=failed reason=no-port"
    pgr_unverified=1
    return 0
  fi
  pgr_v_ran=
  if [ -x "$1" ]; then
    pgr_out=$(pgr_bounded "$1" -h "$pgr_v_host" -p "$pgr_v_port" -t 5 2>&1 </dev/null)
    pgr_rc=$?
    pgr_v_ran=1
    if [ "$pgr_rc" -eq 0 ]; then pgr_v_res=ok; else pgr_v_res=failed; pgr_unverified=1; fi
    pgr_emit "verify tool=pg_isready host=$(pgr_enc "$pgr_v_host") port=$pgr_v_port rc=$pgr_rc result=$pgr_v_res"
    if [ -n "$pgr_out" ]; then printf '%s\n' "$pgr_out" | pgr_quote; fi
  else
    pgr_emit "verify tool=pg_isready result=skipped reason=tool-missing"
  fi
  if [ -x "$2" ]; then
    pgr_out=$(pgr_bounded "$2" -X -A -t -q -h "$pgr_v_host" -p "$pgr_v_port" -d postgres -c 'select 1' 2>&1 </dev/null)
    pgr_rc=$?
    pgr_v_ran=1
    if [ "$pgr_rc" -eq 0 ] && [ "$pgr_out" = 1 ]; then pgr_v_res=ok; else pgr_v_res=failed; pgr_unverified=1; fi
    pgr_emit "verify tool=psql query=select%201 rc=$pgr_rc result=$pgr_v_res"
    if [ -n "$pgr_out" ]; then printf '%s\n' "$pgr_out" | pgr_quote; fi
  else
    pgr_emit "verify tool=psql result=skipped reason=tool-missing"
  fi
  if [ -z "$pgr_v_ran" ]; then
    pgr_say "neither pg_isready nor psql exists in the bin directory: the start is not verified"
    pgr_unverified=1
  fi
  return 0
}

pgr_finish() {
  printf '%send status=%s exit=%s\n' "$PGR_M" "$2" "$1"
  exit "$1"
}

pgr_main() {
  LC_ALL=C
  LANG=C
  export LC_ALL LANG
  unset LANGUAGE PGHOST PGHOSTADDR PGPORT PGDATABASE PGUSER PGOPTIONS PGSERVICE PGSERVICEFILE PGCONNECT_TIMEOUT PGCTLTIMEOUT PGDATA
  PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin:$PATH
  export PATH
  PGR_M=@@pgrescue:
  pgr_refusals=0
  pgr_unables=0
  pgr_survivors=0
  pgr_failed=
  pgr_unverified=
  pgr_phase=preflight
  printf '%sbegin action v=%s rung=%s\n' "$PGR_M" "$PGR_ACTION_VERSION" "$PGR_RUNG"

  for pgr_t in awk readlink id date sleep stat cat tr grep tail ls $PGR_TOOLS; do
    pgr_have "$pgr_t" || pgr_unable "reason=tool-missing tool=$pgr_t" "$pgr_t is not installed on this host"
  done
  pgr_me=$(id -u 2>/dev/null)
  if [ "$pgr_me" != "$PGR_UID" ] && { [ "$PGR_AS_OWNER" = 1 ] || [ "$pgr_me" != 0 ]; }; then
    pgr_unable "reason=wrong-user expected=$PGR_UID found=$(pgr_enc "$pgr_me")" "this step must run as the instance's OS user (uid $PGR_UID), not uid $(pgr_enc "$pgr_me")"
  fi
  [ "$pgr_unables" -eq 0 ] || pgr_finish 2 unable
  pgr_btime=$(awk '$1 == "btime" { print $2 }' /proc/stat 2>/dev/null)
  pgr_clk=$(getconf CLK_TCK 2>/dev/null)
  case $pgr_clk in '' | *[!0-9]* | 0) pgr_clk=100 ;; esac
  case $pgr_btime in '' | *[!0-9]*) pgr_btime=0 ;; esac

  pgr_phase=verify
  pgr_real=$(cd "$PGR_PGDATA" 2>/dev/null && pwd -P)
  if [ "$pgr_real" != "$PGR_PGDATA_REAL" ]; then
    pgr_refuse "object=pgdata reason=pgdata-changed expected=$(pgr_enc "$PGR_PGDATA_REAL") found=$(pgr_enc "§{pgr_real:-unreadable}")" "PGDATA now resolves to $(pgr_enc "§{pgr_real:-nothing}")"
  fi
  pgr_verify
  [ "$pgr_unables" -eq 0 ] || pgr_finish 2 unable
  if [ "$pgr_refusals" -gt 0 ]; then
    pgr_say "nothing was changed: $pgr_refusals difference(s) from the plan; diagnose again"
    pgr_finish 3 refused
  fi
  pgr_emit "verified"

  pgr_phase=act
  pgr_act || pgr_failed=1
  [ -z "$pgr_failed" ] || pgr_finish 4 failed
  [ "$pgr_survivors" -eq 0 ] || pgr_finish 5 survivors
  [ -z "$pgr_unverified" ] || pgr_finish 6 unverified
  pgr_finish 0 ok
}

pgr_main </dev/null
`.replaceAll("§{", "${");

/** The constant part of every action script (for tests and reviews). */
export const ACTION_SCRIPT_BODY: string = ACTION_BODY;
