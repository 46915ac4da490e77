// The plan of one action script as data: what it re-verifies and what it does (rendered by action-script.ts).
import type { TRung } from "../diagnosis/snapshot-schema.ts";
import type { TSystemctlVerb } from "../diagnosis/supervisor-schema.ts";

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
  | { check: "pending-signals"; pid: number }
  /** A systemd unit as the diagnosis saw it: MainPID ("any" to skip) and one of these ActiveStates. */
  | { check: "unit"; unit: string; expect: TUnitExpectation }
  /** `sudo -n -l` allows this login exactly this command (unable otherwise: nothing runs). */
  | { check: "sudo"; command: string[] }
  /** The Patroni process of the diagnosis, paused or not as planned (its REST API asked). */
  | { check: "patroni"; patroni: TPatroniIdentity }
  /** A file this login can read (Patroni's configuration for patronictl). */
  | { check: "readable"; path: string };

/** What a unit must look like before the step touches it. */
export type TUnitExpectation = { mainPid: number | "any"; activeStates: string[] };

/** The Patroni of the diagnosis: its process, its REST API, and whether it was paused. */
export type TPatroniIdentity = { url: string; pid: number; startTicks: number; paused: boolean };

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
  | { op: "verify-ready"; pgIsReady: string; psql: string }
  /**
   * `[timeout T] [sudo -n] SYSTEMCTL VERB [--runtime] UNIT`; `expect` re-checks the unit right before (only the
   * first systemctl operation of a step has it: the next ones see what the first one changed).
   */
  | {
      op: "systemctl";
      verb: TSystemctlVerb;
      unit: string;
      systemctl: string;
      sudo: boolean;
      timeoutSec: number | null;
      expect: TUnitExpectation | null;
      /** The postmaster the command stops: re-verified (identity, cwd, exe) right before it. */
      postmaster: TProcessIdentity | null;
    }
  /** `timeout T PATRONICTL -c CONFIG pause|resume --wait`, after re-checking Patroni. */
  | {
      op: "patronictl";
      verb: "pause" | "resume";
      patronictl: string;
      config: string;
      timeoutSec: number;
      patroni: TPatroniIdentity;
    }
  /** Until postmaster.pid names a live process and pg_isready accepts (a supervisor starts it on its own schedule). */
  | { op: "await-ready"; limitSec: number; pgIsReady: string; logFile: string | null }
  /** After a start through systemd: the unit is active and its MainPID is postmaster.pid's PID. */
  | { op: "verify-unit"; unit: string }
  /** Patroni paused (after a pause) or running and not paused (after a resume), within limitSec. */
  | { op: "verify-patroni"; url: string; limitSec: number; paused: boolean };

export type TActionSpec = {
  rung: TRung;
  /** PGDATA as configured (pg_ctl -D) and as resolved on the host (compared with /proc/PID/cwd). */
  pgdata: string;
  pgdataReal: string;
  instanceUid: number;
  /** pg_ctl refuses root: the script must run as exactly the instance's uid. */
  requireInstanceUser: boolean;
  /** Extra tools the host must have (beyond the base set). */
  tools: ("ipcs" | "sudo" | "timeout")[];
  /** Checks of the verify phase, besides the ones every operation implies. */
  checks: TActionCheck[];
  operations: TActionOp[];
};

export type TBuiltActionScript = {
  script: string;
  /** Exactly the state-changing commands of the script, in order, as written in it. */
  stateChangingCommands: string[];
};
