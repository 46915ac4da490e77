// The contract between action scripts and their callers: version, exit codes, refusal reasons, invocation.

/** Bumped whenever the action output grammar changes; the parser reports other versions. */
export const ACTION_VERSION = "1";

/**
 * Exit codes of every action script. 2 and 3 guarantee that nothing was changed on the host;
 * 4, 5 and 6 mean the script acted (see the `action` lines for what it did).
 */
export const ACTION_EXIT = {
  /** Every action succeeded (and, for a start, the server answers). */
  ok: 0,
  /** Cannot run here: a tool is missing or the script runs as the wrong OS user. Nothing changed. */
  unable: 2,
  /** The host differs from the plan (a PID, start time, cwd, exe, owner, IPC object or file). Nothing changed. */
  refused: 3,
  /** An action failed or a re-check right before an action failed: earlier actions did run. */
  failed: 4,
  /** Processes survived SIGKILL (state D) or did not disappear in time; cleanup after them was skipped. */
  survivors: 5,
  /** pg_ctl start succeeded but pg_isready / `select 1` did not confirm a working server. */
  unverified: 6,
} as const;

export type TActionExitName = keyof typeof ACTION_EXIT;

/** The `status=` word of the end line, per exit code. */
export const ACTION_STATUS_BY_EXIT: Readonly<Record<number, TActionExitName>> = Object.fromEntries(
  Object.entries(ACTION_EXIT).map(([name, code]) => [code, name as TActionExitName]),
);

/** Machine-readable reasons of `@@pgrescue:refuse` and `@@pgrescue:unable` lines. */
export const REFUSAL_REASONS = [
  "gone",
  "start-time-changed",
  "exited",
  "uid-changed",
  "cwd-changed",
  "exe-changed",
  "pgdata-changed",
  "unplanned-process",
  "pidfile-appeared",
  "pidfile-gone",
  "pidfile-changed",
  "pidfile-owner-alive",
  "destination-exists",
  "socket-lock-changed",
  "socket-lock-foreign",
  "shm-gone",
  "shm-key-changed",
  "shm-owner-changed",
  "shm-attached",
  "sem-gone",
  "sem-key-changed",
  "sem-owner-changed",
  "sem-shape-changed",
  "sem-unreadable",
  "sem-magic-missing",
  "sem-creator-changed",
  "sem-creator-alive",
  "dsm-gone",
  "dsm-owner-changed",
  "dsm-mapped",
  "dsm-control-segment",
  "dsm-postgres-running",
  "tool-missing",
  "wrong-user",
] as const;

export type TRefusalReason = (typeof REFUSAL_REASONS)[number];

/**
 * How the remote executor runs an action script: exactly like the probe, POSIX sh reading the
 * script from stdin, as the instance's OS user (signals are sent with the same uid; pg_ctl refuses
 * root). The timeout comes with each planned step (`invocation.timeoutSec`).
 */
export const ACTION_INVOCATION = {
  command: "/bin/sh -s",
  env: { LC_ALL: "C" },
  runAs: "the instance's OS user, directly or through sudo -n -u <user>",
} as const;
