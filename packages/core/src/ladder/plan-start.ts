// Rung 4: pg_ctl start, then pg_isready and select 1; moves a stale postmaster.pid aside when it would block the start.
import type { TActionCheck, TActionOp } from "../actions/action-script.ts";
import { isCleanShutdownState } from "../parsers/control-data.ts";
import {
  blank,
  cannotRun,
  describeState,
  fileTargets,
  INVOCATION_SLACK_SEC,
  planPidFileMove,
  plural,
  semaphoresExhausted,
  type TDraft,
  type TResolved,
} from "./ladder-helpers.ts";

export function planStart(r: TResolved): TDraft {
  const s = r.snapshot;
  if (r.postmasterAlive) {
    return cannotRun(
      `The instance is running (postmaster ${String(s.postmaster.pid)}): there is nothing to start.`,
    );
  }
  const live = s.members;
  if (live.length > 0) {
    return cannotRun(
      `${plural(live.length, "process")} of this instance still run (${live.map(describeState).join("; ")}): PostgreSQL would refuse to start. Kill them first (rung 3).`,
    );
  }
  if (r.pgBin === null)
    return cannotRun("pg_ctl was not found: pass the server's bin directory (pgBin).");
  const draft = blank();
  const move = planPidFileMove(r);
  const problems: string[] = [];
  const pf = s.pidFile;
  if (s.postmaster.state === "Z") {
    problems.push(
      `PID ${String(pf.pid)} of postmaster.pid is a zombie: PostgreSQL sees it as alive and refuses to start until its parent reaps it`,
    );
  }
  if (pf.exists === "yes" && !pf.readable) {
    problems.push("postmaster.pid is not readable: PostgreSQL cannot check it either");
  }
  if (pf.exists === "yes" && pf.mtime === null) {
    problems.push(
      "postmaster.pid's modification time is unknown: the script cannot verify it is unchanged",
    );
  }
  const hidden = s.ipc.shm.filter((x) => x.ours && x.nattch > 0);
  if (hidden.length > 0) {
    problems.push(
      `segment ${hidden.map((x) => `${x.keyHex} id ${x.shmid} (nattch ${x.nattch})`).join(", ")} is still attached by processes the probe could not see: PostgreSQL will refuse ("pre-existing shared memory block … is still in use")`,
    );
  }
  const ourSems = s.ipc.sem.filter((x) => x.ours && x.creatorAlive !== true);
  if (semaphoresExhausted(s) && ourSems.length > 0) {
    problems.push(
      `the kernel's semaphore limits are exhausted ("could not create semaphores") and this instance's ${plural(ourSems.length, "leftover set")} ${ourSems.length === 1 ? "is" : "are"} still there: remove ${ourSems.length === 1 ? "it" : "them"} first (rung 3)`,
    );
  }
  if (problems.length > 0) {
    draft.expectedToFail = true;
    draft.blockedReason = `${problems.join("; ")}.`;
  }
  const ops: TActionOp[] = [];
  const checks: TActionCheck[] = [{ check: "pgdata-processes", allowed: [] }];
  if (move !== null) {
    ops.push({
      op: "move-pid-file",
      expect: move.expect,
      unownedPid: move.unownedPid,
      to: move.to,
      socketLock: move.socketLock,
    });
    draft.files = fileTargets(move, r.pgdata);
  } else if (pf.exists === "no") {
    checks.push({ check: "pid-file", expect: { kind: "absent" } });
  } else if (pf.exists === "yes" && pf.mtime !== null) {
    checks.push({
      check: "pid-file",
      expect: {
        kind: "present",
        mtime: pf.mtime,
        line1: pf.pid !== null ? { kind: "pid", pid: pf.pid } : { kind: "any" },
      },
    });
  }
  const T = r.startTimeoutSec;
  ops.push({ op: "pg-ctl-start", pgCtl: `${r.pgBin}/pg_ctl`, logFile: r.logFile, timeoutSec: T });
  ops.push({ op: "verify-ready", pgIsReady: `${r.pgBin}/pg_isready`, psql: `${r.pgBin}/psql` });
  draft.applicable = true;
  draft.spec = {
    rung: 4,
    pgdata: r.pgdata,
    pgdataReal: r.pgdataReal,
    instanceUid: r.instanceUid,
    requireInstanceUser: true,
    tools: [],
    checks,
    operations: ops,
  };
  draft.displayExtra = [
    `${r.pgBin}/pg_isready -h <socket directory from the new postmaster.pid> -p <its port> -t 5`,
    `${r.pgBin}/psql -X -A -t -q -h <same> -p <same> -d postgres -c 'select 1'   (when psql exists there)`,
  ];
  const clean = isCleanShutdownState(s.controlData.clusterState);
  if (move !== null)
    draft.destroys.push(
      `nothing of postmaster.pid: it is moved aside to ${move.to} and kept (${move.why})`,
    );
  if (s.controlData.clusterState !== null && !clean) {
    draft.destroys.push(
      `the crash-time state: pg_control says "${s.controlData.clusterState}"; crash recovery replays WAL from the last checkpoint and overwrites it`,
    );
  }
  const ourShm = s.ipc.shm.filter((x) => x.ours && x.nattch === 0);
  if (ourShm.length > 0) {
    draft.destroys.push(
      `the leftover segment ${ourShm.map((x) => `${x.keyHex} id ${x.shmid}`).join(", ")} and the instance's /dev/shm/PostgreSQL.* files: PostgreSQL reclaims them`,
    );
  }
  if (ourSems.length > 0) {
    draft.destroys.push(
      `possibly the leftover semaphore set(s) ${ourSems.map((x) => x.semid).join(", ")}: PostgreSQL may reuse or remove them`,
    );
  }
  draft.expectedOutcome = `pg_ctl start returns within ${T} s ("server started")${clean ? "" : " after crash recovery"}; pg_isready then reports "accepting connections" and select 1 returns 1. The server log is ${r.logFile}.`;
  if (r.logFileDefaulted) {
    draft.cautions.push(
      `No server log file was given: pg_ctl start -l writes the server's output to ${r.logFile}. Pass the instance's log file to use it instead.`,
    );
  }
  draft.timeoutSec = T + INVOCATION_SLACK_SEC + 20;
  return draft;
}
