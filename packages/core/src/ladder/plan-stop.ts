// Rungs 1 and 2: pg_ctl stop -m fast | immediate, with why the evidence says it may not work.
import type { TSnapshot } from "../diagnosis/snapshot-schema.ts";
import {
  blank,
  cannotRun,
  countClients,
  describeState,
  identify,
  INVOCATION_SLACK_SEC,
  LIVE_EVIDENCE,
  plural,
  toProcessTarget,
  type TDraft,
  type TResolved,
} from "./ladder-helpers.ts";

function whyNoPostmaster(s: TSnapshot): string {
  const pf = s.pidFile;
  if (pf.exists === "no") {
    return 'No postmaster.pid: there is no server to stop (pg_ctl would say "PID file … does not exist").';
  }
  if (pf.pid === null) {
    return "postmaster.pid names no usable PID: pg_ctl cannot stop anything.";
  }
  const pm = s.postmaster;
  if (pm.state === "absent") {
    return `PID ${pf.pid} from postmaster.pid is dead: pg_ctl would fail ("could not send stop signal (PID: ${pf.pid}): No such process").`;
  }
  if (pm.state === "Z")
    return `Postmaster ${pf.pid} has already exited (zombie): there is nothing to stop.`;
  return `PID ${pf.pid} from postmaster.pid is not this instance's postmaster: pg_ctl would signal an unrelated process.`;
}

export function planStop(r: TResolved, rung: 1 | 2): TDraft {
  const s = r.snapshot;
  const mode = rung === 1 ? "fast" : "immediate";
  if (s.pidFile.singleUser) {
    return cannotRun(
      "A standalone backend (postgres --single) holds PGDATA: pg_ctl cannot stop it. Find the terminal that runs it.",
    );
  }
  if (!r.postmasterAlive) return cannotRun(whyNoPostmaster(s));
  if (r.pgBin === null) {
    return cannotRun("pg_ctl was not found: pass the server's bin directory (pgBin).");
  }
  const pm = s.members.find((m) => m.isPostmaster);
  if (pm === undefined) return cannotRun(whyNoPostmaster(s));
  const id = identify(pm, r);
  if (!id.ok) {
    return cannotRun(`The postmaster ${pm.pid} cannot be re-verified: ${id.reason}.`);
  }
  const draft = blank();
  draft.applicable = true;
  const T = r.stopTimeoutSec;
  const signal = rung === 1 ? "SIGINT" : "SIGQUIT";
  if (pm.state === "T") {
    draft.expectedToFail = true;
    draft.blockedReason = `The postmaster ${pm.pid} is stopped (T): ${signal} stays pending, so the ${mode} stop will wait the full timeout (${T} s) and fail. Resume it first (rung 0).`;
  } else if (pm.state === "t") {
    draft.expectedToFail = true;
    draft.blockedReason = `The postmaster ${pm.pid} is held by a tracer (t): it cannot act on ${signal}; the stop will wait the full timeout (${T} s).`;
  } else if (pm.state === "D") {
    draft.expectedToFail = true;
    draft.blockedReason = `The postmaster is in uninterruptible sleep (${describeState(pm)}): no signal takes effect until its kernel call returns; the stop will wait the full timeout (${T} s).`;
  } else {
    const children = s.members.filter((m) => !m.isPostmaster && m.ppid === pm.pid);
    // A fast stop waits for every child to act on SIGTERM; an immediate stop SIGKILLs children that
    // ignore SIGQUIT for 5 s, which ends stopped (T) ones but not those in D.
    const blocking = children.filter(
      (m) => m.state === "D" || (rung === 1 && (m.state === "T" || m.state === "t")),
    );
    if (blocking.length > 0) {
      draft.expectedToFail = true;
      draft.blockedReason = `${blocking.map(describeState).join("; ")}: ${blocking.length === 1 ? "it does" : "they do"} not act on the shutdown request, and the postmaster waits for ${blocking.length === 1 ? "it" : "them"}; the ${mode} stop will probably time out after ${T} s.`;
    }
  }
  draft.spec = {
    rung,
    pgdata: r.pgdata,
    pgdataReal: r.pgdataReal,
    instanceUid: r.instanceUid,
    requireInstanceUser: true,
    tools: [],
    checks: [],
    operations: [
      {
        op: "pg-ctl-stop",
        pgCtl: `${r.pgBin}/pg_ctl`,
        mode,
        timeoutSec: T,
        postmaster: id.value.identity,
      },
    ],
  };
  draft.processes = [toProcessTarget(id.value, ["pg_ctl stop"], r.pgdataReal)];
  const clients = countClients(s.members);
  draft.destroys =
    rung === 1
      ? [
          clients > 0
            ? `the sessions of ${plural(clients, "client backend")}: their in-flight transactions are rolled back`
            : "no session is connected; in-flight work of background processes is stopped cleanly",
          LIVE_EVIDENCE,
        ]
      : [
          clients > 0
            ? `the sessions of ${plural(clients, "client backend")}: their in-flight transactions are rolled back`
            : "the work of the background processes, without a shutdown checkpoint",
          "no shutdown checkpoint: the next start runs crash recovery (WAL replay from the last checkpoint)",
          LIVE_EVIDENCE,
        ];
  draft.expectedOutcome =
    rung === 1
      ? `The postmaster disconnects every client, writes a shutdown checkpoint and exits within ${T} s; pg_ctl removes nothing itself, the postmaster removes postmaster.pid. Then start it (rung 4).`
      : `The postmaster sends SIGQUIT to its children (SIGKILL after 5 s to those that ignore it) and exits within ${T} s without a checkpoint. Then start it (rung 4): crash recovery runs.`;
  draft.timeoutSec = T + INVOCATION_SLACK_SEC;
  return draft;
}
