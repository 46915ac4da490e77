// The read-only diagnosis probe: renders the prelude of src/scripts/probe.sh from validated values.
import {
  LIB_SH,
  PROBE_SH,
  PROBE_SUPERVISOR_SH,
  SUPERVISOR_SH,
} from "../scripts/generated/host-scripts.ts";
import {
  SCRIPT_MARKER,
  TOOL_HARD_TIMEOUT_SEC,
  buildLibPrelude,
  buildSupervisorPrelude,
  renderPrelude,
} from "../scripts/prelude.ts";
import { requireAbsolutePath } from "../shell/quote.ts";

export { TOOL_HARD_TIMEOUT_SEC };

/** Bumped whenever the output grammar changes; the parser refuses unknown versions. */
export const PROBE_VERSION = "1";

/** Every structural line of the probe's output starts with this; content lines never do. */
export const PROBE_MARKER = SCRIPT_MARKER;

/** Bytes of the server log read from its end (then cut to the last LOG_TAIL_LINES lines). */
export const LOG_TAIL_BYTES = 16384;
export const LOG_TAIL_LINES = 50;
/** pg_isready connect timeout (libpq's minimum is 2 s); TOOL_HARD_TIMEOUT_SEC is the hard bound around it. */
export const PG_ISREADY_TIMEOUT_SEC = 3;
/** Upper bounds that keep the output small on hosts with huge process or IPC tables. */
export const MAX_CANDIDATE_PROCESSES = 4000;
export const MAX_SEMAPHORE_SETS = 1024;

export type TProbeParams = {
  /** Data directory as configured (absolute; symlinks are resolved by the probe). */
  pgdata: string;
  /** Directory holding pg_isready and pg_controldata; otherwise derived from PG_VERSION/PATH. */
  pgBin?: string;
  /** Server log file (pg_ctl -l); otherwise current_logfiles, then the newest file in log/. */
  logFile?: string;
};

/**
 * How the remote executor must run the script (docs/diagnosis.md): POSIX sh reading the script
 * from stdin, as the instance's OS user, in one exec. Measured on the lab: 30–250 ms and 2–35 KB
 * for up to ~20 processes, ~250 ms and ~200 KB for 256 backends (about 0.8 KB per process); plus
 * up to 3 s when pg_isready gets no answer, and never more than 2 × TOOL_HARD_TIMEOUT_SEC for the
 * two tools when `timeout` exists.
 */
export const PROBE_INVOCATION = {
  command: "/bin/sh -s",
  stdin: "the script returned by buildProbeScript",
  env: { LC_ALL: "C" },
  runAs: "the instance's OS user, directly or through sudo -n -u <user>",
  suggestedTimeoutSec: 30,
} as const;

/**
 * The constant part of every probe script (for tests and reviews): lib.sh, supervisor.sh and
 * probe-supervisor.sh (who supervises the postmaster; functions only), then probe.sh, which calls them.
 */
export const PROBE_SCRIPT_BODY = `${LIB_SH}${SUPERVISOR_SH}${PROBE_SUPERVISOR_SH}${PROBE_SH}`;

/**
 * Build the probe script for one instance: a prelude of parameters (every value validated, strings
 * single-quoted), then the constant body.
 */
export function buildProbeScript(params: TProbeParams): string {
  const pgdata = requireAbsolutePath(params.pgdata, "pgdata");
  const pgBin = params.pgBin === undefined ? "" : requireAbsolutePath(params.pgBin, "pgBin");
  const logFile =
    params.logFile === undefined ? "" : requireAbsolutePath(params.logFile, "logFile");
  const prelude = renderPrelude([
    ["PGR_PGDATA", pgdata],
    ["PGR_PGBIN", pgBin],
    ["PGR_LOGFILE", logFile],
    ["PGR_VERSION", Number(PROBE_VERSION)],
    ...buildLibPrelude(),
    ["PGR_ISREADY_TIMEOUT", PG_ISREADY_TIMEOUT_SEC],
    ["PGR_LOG_TAIL_BYTES", LOG_TAIL_BYTES],
    ["PGR_LOG_TAIL_LINES", LOG_TAIL_LINES],
    ["PGR_MAX_PROCS", MAX_CANDIDATE_PROCESSES],
    ["PGR_MAX_SEMSETS", MAX_SEMAPHORE_SETS],
    ...buildSupervisorPrelude(),
  ]);
  return [
    `# pgrescue probe v${PROBE_VERSION}: read-only diagnosis of one PostgreSQL instance (POSIX sh).`,
    ...prelude,
    "",
    PROBE_SCRIPT_BODY,
  ].join("\n");
}
