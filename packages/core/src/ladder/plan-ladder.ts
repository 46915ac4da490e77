// The recovery ladder planner: every rung for one diagnosis, with its exact script, targets and verdict. Pure.
import {
  buildActionScript,
  describeActionChecks,
  type TActionCheck,
  type TActionOp,
  type TActionSpec,
  type TPidAndTicks,
  type TPidFileExpectation,
  type TProcessIdentity,
  type TSemIdentity,
} from "../actions/action-script.ts";
import { ACTION_INVOCATION } from "../actions/action-protocol.ts";
import { isCleanShutdownState } from "../parsers/control-data.ts";
import { describeProcessState, explainWchan } from "../parsers/proc-stat.ts";
import { canonicalJson, canonicalMaterialFacts } from "../diagnosis/material-facts.ts";
import { PG_SEMAS_PER_SET } from "../diagnosis/identify.ts";
import { requireAbsolutePath, ShellValueError, validateAbsolutePath } from "../shell/quote.ts";
import type { TMember, TRung, TSnapshot } from "../diagnosis/snapshot-schema.ts";
import { captureEvidence } from "./evidence.ts";
import {
  LADDER_PLAN_VERSION,
  type TCleanupOffer,
  type TCleanupOption,
  type TEvidence,
  type TFileTarget,
  type TIpcTarget,
  type TLadderPlan,
  type TLadderStep,
  type TProcessTarget,
} from "./ladder-schema.ts";

export type TLadderOptions = {
  /** The data directory the diagnosis was made for. */
  pgdata: string;
  /** The server's bin directory (pg_ctl, pg_isready, psql); null: the directory the probe's tools came from. */
  pgBin: string | null;
  /** Server log for `pg_ctl start -l`; default: PGDATA/pgrescue-start.log. */
  logFile?: string;
  /** `pg_ctl stop -t` (rungs 1, 2). Default 60, like pg_ctl. */
  stopTimeoutSec?: number;
  /** `pg_ctl start -t` (rung 4). Default 60, like pg_ctl. */
  startTimeoutSec?: number;
  /** How long rung 3 waits for killed processes to disappear. Default 10. */
  killWaitSec?: number;
  /** Optional IPC cleanup of rung 3; unset means what the evidence alone calls for. */
  cleanup?: Partial<Record<TCleanupOption, boolean>>;
};

export const DEFAULT_STOP_TIMEOUT_SEC = 60;
export const DEFAULT_START_TIMEOUT_SEC = 60;
export const DEFAULT_KILL_WAIT_SEC = 10;
/** Rung 0 looks at the resumed processes after this long; rung 3 waits this long for init to reap. */
const OBSERVE_AFTER_SEC = 1;
const REAP_WAIT_SEC = 5;
/** Headroom of the executor's timeout over the script's own bounds (checks, pg_isready, psql). */
const INVOCATION_SLACK_SEC = 30;

/** PATH directories where pg_isready may be a wrapper and pg_ctl may be missing. */
const GENERIC_BIN_DIRS = ["/usr/bin", "/bin", "/usr/local/bin", "/usr/sbin", "/sbin"];

const TITLES: Record<TRung, string> = {
  0: "First aid: resume stopped processes (SIGCONT)",
  1: "Fast stop (pg_ctl stop -m fast)",
  2: "Immediate stop (pg_ctl stop -m immediate)",
  3: "Kill the instance's processes (SIGKILL), then only the cleanup the evidence calls for",
  4: "Start and verify (pg_ctl start, pg_isready, select 1)",
};

const PURPOSE: Record<TRung, string> = {
  0: "Resumes stopped (T) processes with SIGCONT: nothing ends and nothing is lost.",
  1: "The gentle stop: clients are disconnected, a shutdown checkpoint is written, the next start needs no recovery.",
  2: "Stops without a checkpoint when a fast stop hangs; the next start runs crash recovery.",
  3: "Ends every verified process of the instance with SIGKILL when no stop works; the next start runs crash recovery.",
  4: "Starts the instance and proves it answers.",
};

type TResolved = {
  snapshot: TSnapshot;
  pgdata: string;
  pgdataReal: string;
  instanceUid: number;
  pgBin: string | null;
  logFile: string;
  logFileDefaulted: boolean;
  stopTimeoutSec: number;
  startTimeoutSec: number;
  killWaitSec: number;
  cleanup: Partial<Record<TCleanupOption, boolean>>;
  postmasterAlive: boolean;
};

type TDraft = {
  applicable: boolean;
  expectedToFail: boolean;
  blockedReason: string | null;
  destroys: string[];
  expectedOutcome: string;
  spec: TActionSpec | null;
  displayExtra: string[];
  processes: TProcessTarget[];
  ipc: TIpcTarget[];
  files: TFileTarget[];
  zombies: { pid: number; ppid: number; startTicks: number }[];
  untargeted: { pid: number; reason: string }[];
  offers: TCleanupOffer[];
  cautions: string[];
  timeoutSec: number;
};

function blank(): TDraft {
  return {
    applicable: false,
    expectedToFail: false,
    blockedReason: null,
    destroys: [],
    expectedOutcome: "",
    spec: null,
    displayExtra: [],
    processes: [],
    ipc: [],
    files: [],
    zombies: [],
    untargeted: [],
    offers: [],
    cautions: [],
    timeoutSec: 0,
  };
}

function cannotRun(reason: string, outcome = "Nothing: this rung cannot run now."): TDraft {
  return { ...blank(), blockedReason: reason, expectedOutcome: outcome };
}

function requireSeconds(value: number | undefined, fallback: number, label: string): number {
  const seconds = value ?? fallback;
  if (!Number.isSafeInteger(seconds) || seconds < 1 || seconds > 86_400) {
    throw new ShellValueError(label, `is not a number of seconds in 1..86400 (${String(seconds)})`);
  }
  return seconds;
}

function dirnameOf(path: string | null): string | null {
  if (path === null) return null;
  const at = path.lastIndexOf("/");
  if (at <= 0) return null;
  const dir = path.slice(0, at);
  return validateAbsolutePath(dir).ok ? dir : null;
}

/** pg_ctl's directory: the operator's, else where the probe found pg_controldata, else pg_isready. */
function resolvePgBin(
  snapshot: TSnapshot,
  pgBin: string | null,
): { dir: string | null; source: TLadderPlan["pgBinSource"] } {
  if (pgBin !== null) return { dir: requireAbsolutePath(pgBin, "pgBin"), source: "option" };
  const fromControlData = dirnameOf(snapshot.controlData.tool);
  if (fromControlData !== null) return { dir: fromControlData, source: "pg_controldata" };
  const fromIsReady = dirnameOf(snapshot.connectivity.pgIsReady.tool);
  if (fromIsReady !== null) return { dir: fromIsReady, source: "pg_isready" };
  return { dir: null, source: null };
}

function stripDeleted(exe: string): string {
  return exe.endsWith(" (deleted)") ? exe.slice(0, -" (deleted)".length) : exe;
}

function roleWord(member: TMember): string {
  return member.role.replaceAll(" ", "-");
}

type TIdentified = { member: TMember; identity: TProcessIdentity };

/** A member's identity for a script, or why the script could not re-verify it. */
function identify(
  member: TMember,
  r: TResolved,
): { ok: true; value: TIdentified } | { ok: false; reason: string } {
  if (member.cwd !== r.pgdataReal) {
    return {
      ok: false,
      reason:
        member.cwd === null
          ? "its working directory could not be read"
          : `it works in ${member.cwd}, not in PGDATA: the script could not re-verify it by its working directory`,
    };
  }
  if (member.exe === null) return { ok: false, reason: "its executable could not be read" };
  if (member.uid === null) return { ok: false, reason: "its owner could not be read" };
  const exe = stripDeleted(member.exe);
  const valid = validateAbsolutePath(exe);
  if (!valid.ok) {
    return {
      ok: false,
      reason: `its executable path ${valid.error}: it cannot be put into a script safely`,
    };
  }
  return {
    ok: true,
    value: {
      member,
      identity: {
        pid: member.pid,
        startTicks: member.startTicks,
        uid: member.uid,
        exe,
        role: roleWord(member),
      },
    },
  };
}

function toProcessTarget(
  t: TIdentified,
  signals: TProcessTarget["signals"],
  pgdataReal: string,
): TProcessTarget {
  return {
    pid: t.member.pid,
    startTicks: t.member.startTicks,
    uid: t.identity.uid,
    cwd: pgdataReal,
    exe: t.identity.exe,
    role: t.member.role,
    state: t.member.state,
    wchan: t.member.wchan,
    orphan: t.member.orphan,
    signals,
  };
}

function pair(t: { pid: number; startTicks: number }): TPidAndTicks {
  return { pid: t.pid, startTicks: t.startTicks };
}

function describeState(m: { pid: number; state: string; wchan: string | null }): string {
  const hint = explainWchan(m.wchan);
  return `${m.pid} (${describeProcessState(m.state)}, ${m.state}${m.wchan ? `, wchan ${m.wchan}${hint ? ` — ${hint}` : ""}` : ""})`;
}

function countClients(members: readonly TMember[]): number {
  return members.filter((m) => m.role === "client backend").length;
}

function plural(n: number, word: string): string {
  if (n === 1) return `${n} ${word}`;
  if (word.endsWith("child")) return `${n} ${word}ren`;
  return `${n} ${word}${/(s|sh|ch|x)$/.test(word) ? "es" : "s"}`;
}

const LIVE_EVIDENCE =
  "the live evidence of the hang (process states, wait channels, attachments): captured into the incident first";

// ---------------------------------------------------------------------------------------------
// Rung 0: SIGCONT

function planFirstAid(r: TResolved): TDraft {
  const s = r.snapshot;
  const pm = s.members.find((m) => m.isPostmaster);
  const stopped = s.members.filter((m) => m.state === "T");
  const traced = s.members.filter((m) => m.state === "t");
  if (stopped.length === 0) {
    if (pm?.state === "t" || (s.postmaster.genuine && s.postmaster.state === "t")) {
      return cannotRun(
        `The postmaster ${String(s.postmaster.pid)} is stopped by a tracer (t): SIGCONT does not release it. Detach the debugger or strace, then diagnose again.`,
      );
    }
    return cannotRun(
      traced.length > 0
        ? `Nothing is stopped (T); ${traced.map((m) => m.pid).join(", ")} are held by a tracer (t), which SIGCONT does not release.`
        : "Nothing of this instance is stopped (T): first aid has nothing to resume.",
    );
  }
  const draft = blank();
  // Stopped members first, the postmaster last: when it runs again its children can already act
  // on whatever it tells them (pending shutdown requests included).
  const ordered = [
    ...stopped.filter((m) => !m.isPostmaster),
    ...stopped.filter((m) => m.isPostmaster),
  ];
  const targets: TIdentified[] = [];
  for (const member of ordered) {
    const id = identify(member, r);
    if (id.ok) targets.push(id.value);
    else draft.untargeted.push({ pid: member.pid, reason: id.reason });
  }
  if (targets.length === 0) {
    return {
      ...cannotRun(
        `The stopped process(es) cannot be re-verified: ${draft.untargeted.map((u) => `${u.pid}: ${u.reason}`).join("; ")}.`,
      ),
      untargeted: draft.untargeted,
    };
  }
  const ops: TActionOp[] = targets.map((t) => ({
    op: "signal",
    signal: "CONT",
    target: t.identity,
  }));
  ops.push({
    op: "observe",
    afterSec: OBSERVE_AFTER_SEC,
    targets: targets.map((t) => pair(t.identity)),
  });
  const pmTarget = targets.find((t) => t.member.isPostmaster);
  const zombies = pmTarget ? s.zombies.filter((z) => z.parentIsPostmaster) : [];
  if (zombies.length > 0) ops.push({ op: "await-reaped", limitSec: 3, targets: zombies.map(pair) });
  draft.applicable = true;
  draft.spec = {
    rung: 0,
    pgdata: r.pgdata,
    pgdataReal: r.pgdataReal,
    instanceUid: r.instanceUid,
    requireInstanceUser: false,
    tools: [],
    checks: targets.map((t) => ({ check: "pending-signals", pid: t.identity.pid })),
    operations: ops,
  };
  draft.processes = targets.map((t) => toProcessTarget(t, ["SIGCONT"], r.pgdataReal));
  draft.zombies = zombies.map((z) => ({ pid: z.pid, ppid: z.ppid, startTicks: z.startTicks }));
  draft.destroys = [];
  const pmText = pmTarget
    ? `Postmaster ${pmTarget.member.pid} resumes (T → S)${zombies.length > 0 ? ` and reaps its ${plural(zombies.length, "zombie child")}` : ""}. `
    : "";
  draft.expectedOutcome = `${pmText}${
    targets.length > (pmTarget ? 1 : 0)
      ? `Stopped member(s) ${targets
          .filter((t) => !t.member.isPostmaster)
          .map((t) => t.member.pid)
          .join(", ")} resume. `
      : ""
  }If an earlier stop attempt left SIGINT/SIGQUIT pending (the script reports it), the postmaster acts on it at once and shuts down. Diagnose again afterwards: it should answer, or a fast stop (rung 1) will now work.`;
  if (draft.untargeted.length > 0) {
    draft.cautions.push(
      `Not resumed (cannot be re-verified): ${draft.untargeted.map((u) => `${u.pid}: ${u.reason}`).join("; ")}.`,
    );
  }
  draft.timeoutSec = OBSERVE_AFTER_SEC + 3 + INVOCATION_SLACK_SEC;
  return draft;
}

// ---------------------------------------------------------------------------------------------
// Rungs 1 and 2: pg_ctl stop

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

function planStop(r: TResolved, rung: 1 | 2): TDraft {
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

// ---------------------------------------------------------------------------------------------
// Rung 3: SIGKILL, then only the cleanup the evidence calls for

type TPidFileMove = {
  expect: TPidFileExpectation;
  unownedPid: number | null;
  to: string;
  socketLock: { path: string; to: string; pid: number } | null;
  why: string;
  pid: number | null;
  mtime: number;
};

/**
 * postmaster.pid must be moved aside only when PostgreSQL would refuse to start because of it and
 * no live postmaster owns it: its PID is reused by an unrelated process of the same OS user, or the
 * file is empty or garbage.
 */
function planPidFileMove(r: TResolved): TPidFileMove | null {
  const s = r.snapshot;
  const pf = s.pidFile;
  if (pf.exists !== "yes" || !pf.readable || pf.mtime === null) return null;
  const to = `${r.pgdata}/postmaster.pid.pgrescue-stale-${pf.mtime}`;
  if (!validateAbsolutePath(to).ok) return null;
  const pm = s.postmaster;
  if (pf.pid !== null && !pf.singleUser) {
    const reused =
      pm.state !== "absent" &&
      pm.state !== "Z" &&
      !pm.genuine &&
      pm.uid !== null &&
      pm.uid === r.instanceUid &&
      // Never for a PostgreSQL binary in PGDATA (maybe a clock step): only when it is clearly something else.
      pm.checks.some((c) => (c.name === "cwd" || c.name === "executable") && !c.ok) &&
      pm.cwd !== r.pgdataReal;
    if (!reused) return null;
    // The socket lock file names the same PID; PostgreSQL refuses it just like postmaster.pid.
    const lock =
      pf.socketDir !== null && pf.port !== null ? `${pf.socketDir}/.s.PGSQL.${pf.port}.lock` : null;
    const lockTo = `${lock ?? ""}.pgrescue-stale-${pf.mtime}`;
    const socketLock =
      lock !== null && validateAbsolutePath(lock).ok && validateAbsolutePath(lockTo).ok
        ? { path: lock, to: lockTo, pid: pf.pid }
        : null;
    return {
      expect: { kind: "present", mtime: pf.mtime, line1: { kind: "pid", pid: pf.pid } },
      unownedPid: pf.pid,
      to,
      socketLock,
      pid: pf.pid,
      mtime: pf.mtime,
      why: `PID ${pf.pid} of postmaster.pid now belongs to an unrelated process of the same OS user: PostgreSQL refuses to start ('lock file "postmaster.pid" already exists', and the same for its socket lock file).`,
    };
  }
  if (pf.pid === null && !pf.singleUser) {
    const empty = pf.raw.length === 0 || (pf.raw.length === 1 && pf.raw[0] === "");
    return {
      expect: {
        kind: "present",
        mtime: pf.mtime,
        line1: empty ? { kind: "empty" } : { kind: "any" },
      },
      unownedPid: null,
      to,
      socketLock: null,
      pid: null,
      mtime: pf.mtime,
      why: `postmaster.pid is ${empty ? "empty" : "not a valid lock file"}: PostgreSQL refuses to start with it.`,
    };
  }
  return null;
}

function fileTargets(move: TPidFileMove, pgdata: string): TFileTarget[] {
  const files: TFileTarget[] = [
    {
      kind: "pid-file",
      path: `${pgdata}/postmaster.pid`,
      movedTo: move.to,
      pid: move.pid,
      mtime: move.mtime,
      why: move.why,
    },
  ];
  if (move.socketLock !== null) {
    files.push({
      kind: "socket-lock",
      path: move.socketLock.path,
      movedTo: move.socketLock.to,
      pid: move.socketLock.pid,
      mtime: move.mtime,
      why: `Moved only if it exists and still names PID ${move.socketLock.pid} and this PGDATA: PostgreSQL refuses a socket lock file whose PID is alive just like postmaster.pid.`,
    });
  }
  return files;
}

function semTarget(sem: TSnapshot["ipc"]["sem"][number]): TIpcTarget {
  return {
    kind: "sem",
    id: sem.semid,
    key: sem.key,
    keyHex: sem.keyHex,
    ownerUid: sem.ownerUid,
    nattch: null,
    nsems: sem.nsems,
    creatorPid: sem.creatorPid,
    path: null,
  };
}

function shmTarget(shm: TSnapshot["ipc"]["shm"][number]): TIpcTarget {
  return {
    kind: "shm",
    id: shm.shmid,
    key: shm.key,
    keyHex: shm.keyHex,
    ownerUid: shm.ownerUid,
    nattch: shm.nattch,
    nsems: null,
    creatorPid: null,
    path: null,
  };
}

function dsmTarget(dsm: TSnapshot["dsm"][number]): TIpcTarget {
  return {
    kind: "dsm",
    id: null,
    key: null,
    keyHex: null,
    ownerUid: dsm.ownerUid,
    nattch: null,
    nsems: null,
    creatorPid: null,
    path: dsm.path,
  };
}

function semaphoresExhausted(s: TSnapshot): boolean {
  return s.log.tail.some((l) => /could not create semaphores|No space left on device/i.test(l));
}

const SHM_WARNING =
  "Normally unnecessary: with nattch 0 PostgreSQL reclaims this segment itself at the next start, and through the control handle stored in it also removes the instance's /dev/shm/PostgreSQL.* files. Removing it first makes those files leak until reboot. Only useful when PostgreSQL will not look for it again (the data directory moved or was re-created).";

/** What rung 3 may clean up besides killing: each with whether the evidence alone includes it. */
function planCleanupOffers(r: TResolved): TCleanupOffer[] {
  const s = r.snapshot;
  const offers: TCleanupOffer[] = [];
  const exhausted = semaphoresExhausted(s);
  for (const sem of s.ipc.sem) {
    if (!sem.ours || sem.creatorAlive === true || sem.creatorPid === null) continue;
    if (sem.nsems !== PG_SEMAS_PER_SET) continue;
    const byDefault = exhausted;
    offers.push({
      option: "semaphores",
      target: semTarget(sem),
      included: r.cleanup.semaphores ?? byDefault,
      includedByDefault: byDefault,
      reason: `Set ${sem.semid} (key ${sem.keyHex}) has PostgreSQL's marker 537 and was created by this instance's postmaster ${sem.creatorPid}, which is dead.`,
      warning: exhausted
        ? null
        : 'Not needed for a start: PostgreSQL reuses or removes dead-creator sets at its own keys. Remove only when a start fails with "could not create semaphores: No space left on device".',
    });
  }
  const anyMember = s.members.length > 0;
  for (const shm of s.ipc.shm) {
    if (!shm.ours || shm.nattch !== 0 || shm.unaccountedAttachments !== 0 || anyMember) continue;
    offers.push({
      option: "sharedMemory",
      target: shmTarget(shm),
      included: r.cleanup.sharedMemory ?? false,
      includedByDefault: false,
      reason: `Segment ${shm.keyHex} id ${shm.shmid} is this instance's (${shm.reason}) and nobody is attached.`,
      warning: SHM_WARNING,
    });
  }
  for (const dsm of s.dsm) {
    if (!dsm.removable) continue;
    offers.push({
      option: "dsmFiles",
      target: dsmTarget(dsm),
      included: r.cleanup.dsmFiles ?? false,
      includedByDefault: false,
      reason: `${dsm.path}: ${dsm.reason}.`,
      warning:
        "Only memory is at stake: nothing maps the file and no segment references it, so it stays until reboot unless removed. Removal is re-verified on the host (owner, unmapped, no SysV segment of that user, no PostgreSQL process running).",
    });
  }
  return offers;
}

function planKill(r: TResolved): TDraft {
  const s = r.snapshot;
  const draft = blank();
  const pmMember = s.members.find((m) => m.isPostmaster);
  const children = s.members.filter(
    (m) => !m.isPostmaster && pmMember !== undefined && m.ppid === pmMember.pid,
  );
  const others = s.members.filter((m) => !m.isPostmaster && !children.includes(m));

  const verify = (members: readonly TMember[]): TIdentified[] =>
    members.flatMap((m) => {
      const id = identify(m, r);
      if (id.ok) return [id.value];
      draft.untargeted.push({ pid: m.pid, reason: id.reason });
      return [];
    });
  const pm = pmMember === undefined ? [] : verify([pmMember]);
  if (pmMember !== undefined && pm.length === 0) {
    return {
      ...cannotRun(
        `The postmaster ${pmMember.pid} cannot be re-verified (${draft.untargeted[0]?.reason ?? "unknown"}): killing only its children would make it restart them.`,
      ),
      untargeted: draft.untargeted,
    };
  }
  const kids = verify(children);
  const rest = verify(others);
  const pmTarget = pm[0];
  const killOrder = [...kids, ...(pmTarget ? [pmTarget] : []), ...rest];

  const offers = planCleanupOffers(r);
  const move = planPidFileMove(r);
  const included = offers.filter((o) => o.included);
  draft.offers = offers;
  if (killOrder.length === 0 && included.length === 0 && move === null) {
    const optional =
      offers.length > 0
        ? ` Optional cleanup can be selected: ${offers.map((o) => `${o.option} (${o.target.kind} ${o.target.id ?? o.target.path ?? ""})`).join(", ")}.`
        : "";
    return {
      ...cannotRun(
        draft.untargeted.length > 0
          ? `No member can be re-verified: ${draft.untargeted.map((u) => `${u.pid}: ${u.reason}`).join("; ")}.`
          : `Nothing to act on: no process of this instance runs and no IPC object or file needs removal.${optional}`,
      ),
      offers,
      untargeted: draft.untargeted,
    };
  }

  const ops: TActionOp[] = [];
  // Freeze the postmaster first: a running postmaster would answer its children's deaths with a
  // crash restart and fork new processes between the kills. SIGKILL works on a stopped process.
  if (pmTarget) ops.push({ op: "signal", signal: "STOP", target: pmTarget.identity });
  for (const t of killOrder) ops.push({ op: "signal", signal: "KILL", target: t.identity });
  const zombies = s.zombies;
  if (killOrder.length > 0) {
    ops.push({
      op: "await-gone",
      limitSec: r.killWaitSec,
      targets: killOrder.map((t) => pair(t.identity)),
    });
    ops.push({
      op: "await-reaped",
      limitSec: REAP_WAIT_SEC,
      targets: [...zombies.map(pair), ...killOrder.map((t) => pair(t.identity))],
    });
    ops.push({ op: "report-pgdata-processes" });
    // IPC and file cleanup only after every killed process is really gone.
    ops.push({ op: "guard-no-survivors" });
  }
  const tools: "ipcs"[] = [];
  for (const offer of included) {
    const t = offer.target;
    if (t.kind === "sem" && t.id !== null && t.key !== null && t.creatorPid !== null) {
      const sem: TSemIdentity = {
        semid: t.id,
        key: t.key,
        ownerUid: t.ownerUid,
        creatorPid: t.creatorPid,
      };
      ops.push({ op: "ipcrm-sem", target: sem });
      tools.push("ipcs");
    } else if (t.kind === "shm" && t.id !== null && t.key !== null) {
      ops.push({ op: "ipcrm-shm", target: { shmid: t.id, key: t.key, ownerUid: t.ownerUid } });
    } else if (t.kind === "dsm" && t.path !== null) {
      ops.push({ op: "remove-dsm", target: { path: t.path, ownerUid: t.ownerUid } });
    }
  }
  if (move !== null) {
    ops.push({
      op: "move-pid-file",
      expect: move.expect,
      unownedPid: move.unownedPid,
      to: move.to,
      socketLock: move.socketLock,
    });
  }
  const checks: TActionCheck[] = [
    { check: "pgdata-processes", allowed: killOrder.map((t) => t.identity.pid) },
  ];
  draft.applicable = true;
  draft.spec = {
    rung: 3,
    pgdata: r.pgdata,
    pgdataReal: r.pgdataReal,
    instanceUid: r.instanceUid,
    requireInstanceUser: false,
    tools,
    checks,
    operations: ops,
  };
  draft.processes = killOrder.map((t) =>
    toProcessTarget(t, t === pmTarget ? ["SIGSTOP", "SIGKILL"] : ["SIGKILL"], r.pgdataReal),
  );
  draft.zombies = zombies.map((z) => ({ pid: z.pid, ppid: z.ppid, startTicks: z.startTicks }));
  draft.ipc = included.map((o) => o.target);
  if (move !== null) {
    draft.files = fileTargets(move, r.pgdata);
  }

  const inD = killOrder.filter((t) => t.member.state === "D");
  const problems: string[] = [];
  if (inD.length > 0) {
    problems.push(
      `${inD.map((t) => describeState(t.member)).join("; ")}: in uninterruptible sleep, SIGKILL takes effect only when the kernel call returns — ${inD.length === 1 ? "it" : "they"} may survive the step`,
    );
  }
  if (draft.untargeted.length > 0) {
    problems.push(
      `not killed because the script could not re-verify ${draft.untargeted.length === 1 ? "it" : "them"}: ${draft.untargeted.map((u) => `${u.pid} (${u.reason})`).join("; ")}`,
    );
  }
  if (problems.length > 0) {
    draft.expectedToFail = true;
    draft.blockedReason = `${problems.join(". ")}.`;
  }

  const clients = countClients(killOrder.map((t) => t.member));
  if (killOrder.length > 0) {
    draft.destroys.push(
      `${plural(killOrder.length, "process")} end at once${clients > 0 ? `: the in-flight transactions of ${plural(clients, "client backend")} are rolled back` : ""}`,
      "no checkpoint: the next start runs crash recovery (WAL replay from the last checkpoint)",
      LIVE_EVIDENCE,
    );
  }
  for (const offer of included) {
    const t = offer.target;
    if (t.kind === "sem")
      draft.destroys.push(`semaphore set ${String(t.id)} (${String(t.keyHex)}): holds no data`);
    if (t.kind === "shm")
      draft.destroys.push(
        `SysV segment ${String(t.keyHex)} id ${String(t.id)}: PostgreSQL can no longer reclaim the instance's /dev/shm/PostgreSQL.* files through it`,
      );
    if (t.kind === "dsm")
      draft.destroys.push(`${String(t.path)}: leftover dynamic shared memory, mapped by nobody`);
  }
  if (move !== null)
    draft.destroys.push(`nothing of postmaster.pid: it is moved aside to ${move.to} and kept`);

  const pieces: string[] = [];
  if (killOrder.length > 0) {
    pieces.push(
      `${pmTarget ? `Postmaster ${pmTarget.member.pid} is frozen (SIGSTOP), then ` : ""}${plural(killOrder.length, "process")} get SIGKILL${pmTarget ? " (children first, the postmaster, then the others)" : ""} and disappear within ${r.killWaitSec} s${zombies.length > 0 ? `; the ${plural(zombies.length, "zombie")} ${zombies.length === 1 ? "is" : "are"} reaped by init once ${zombies.length === 1 ? "its" : "their"} parent is gone` : ""}.`,
    );
    const shm = s.ipc.shm.find((x) => x.ours);
    if (shm)
      pieces.push(
        `Segment ${shm.keyHex} id ${shm.shmid} drops to nattch 0; PostgreSQL reclaims it at the next start (no ipcrm needed).`,
      );
  }
  if (included.length > 0)
    pieces.push(
      `Removed: ${included.map((o) => (o.target.kind === "dsm" ? String(o.target.path) : `${o.target.kind} ${String(o.target.id)}`)).join(", ")}.`,
    );
  if (move !== null) pieces.push(`postmaster.pid is moved aside to ${move.to}.`);
  pieces.push("Then start the instance (rung 4).");
  draft.expectedOutcome = pieces.join(" ");
  for (const offer of offers)
    if (!offer.included && offer.warning !== null)
      draft.cautions.push(`Not included (${offer.option}): ${offer.reason} ${offer.warning}`);
  for (const offer of included)
    if (offer.warning !== null)
      draft.cautions.push(`Included on request (${offer.option}): ${offer.warning}`);
  draft.displayExtra = [];
  draft.timeoutSec = r.killWaitSec + REAP_WAIT_SEC + INVOCATION_SLACK_SEC;
  return draft;
}

// ---------------------------------------------------------------------------------------------
// Rung 4: start and verify

function planStart(r: TResolved): TDraft {
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

// ---------------------------------------------------------------------------------------------

function finishStep(rung: TRung, draft: TDraft, s: TSnapshot, evidence: TEvidence): TLadderStep {
  const built = draft.spec === null ? null : buildActionScript(draft.spec);
  const rec = s.recommendation.rung;
  const recommended = draft.applicable && rec === rung;
  let why: string;
  if (recommended) why = `Recommended by the diagnosis: ${s.recommendation.reason}`;
  else if (!draft.applicable)
    why = `${PURPOSE[rung]} Not possible now: ${draft.blockedReason ?? ""}`;
  else if (rec === null)
    why = `${PURPOSE[rung]} The diagnosis recommends no rung: ${s.recommendation.reason}`;
  else if (rung > rec)
    why = `${PURPOSE[rung]} The diagnosis recommends rung ${rec} first; choosing this one skips it (the reason is recorded).`;
  else why = `${PURPOSE[rung]} The diagnosis recommends rung ${rec}.`;
  return {
    rung,
    title: TITLES[rung],
    applicable: draft.applicable,
    expectedToFail: draft.applicable && draft.expectedToFail,
    blockedReason: draft.blockedReason,
    recommended,
    why,
    destroys: draft.destroys,
    expectedOutcome: draft.expectedOutcome,
    // Rung 1 is not destructive: a fast stop ends sessions but writes a shutdown checkpoint, so
    // nothing persistent is lost and no recovery is needed. Rung 4 counts as destructive because it
    // overwrites the crash-time state (pg_control, postmaster.pid, the leftover segment).
    destructive: rung >= 2,
    requiresTypedConfirmation: rung >= 2,
    script: built?.script ?? null,
    displayCommands: built === null ? [] : [...built.stateChangingCommands, ...draft.displayExtra],
    stateChangingCommands: built?.stateChangingCommands ?? [],
    checks: draft.spec === null ? [] : describeActionChecks(draft.spec),
    targets: {
      processes: draft.processes,
      ipc: draft.ipc,
      files: draft.files,
      zombies: draft.zombies,
    },
    untargeted: draft.untargeted,
    offers: draft.offers,
    cautions: draft.cautions,
    evidenceToCapture: draft.applicable && rung >= 1 ? evidence : null,
    invocation: draft.applicable
      ? { command: ACTION_INVOCATION.command, timeoutSec: draft.timeoutSec }
      : null,
  };
}

function globalBlocker(snapshot: TSnapshot, pgdata: string): string | null {
  if (snapshot.instance.pgdata !== pgdata) {
    return `This diagnosis is of ${snapshot.instance.pgdata}, not ${pgdata}.`;
  }
  if (!snapshot.probe.complete || snapshot.probe.errors.length > 0) {
    return "The probe's output is incomplete or malformed: diagnose again before acting.";
  }
  if (snapshot.pidFile.exists === "unknown") {
    return "The probe could not look into PGDATA (it must run as the instance's OS user): diagnose again as that user.";
  }
  if (snapshot.instance.pgdataReal === null)
    return "The data directory could not be resolved on the host.";
  const real = validateAbsolutePath(snapshot.instance.pgdataReal);
  if (!real.ok)
    return `The resolved data directory ${real.error}: it cannot be put into a script safely.`;
  if (snapshot.instance.ownerUid === null) return "The data directory's owner is unknown.";
  return null;
}

/**
 * Plan every rung of the ladder for one diagnosis. Pure; throws ShellValueError when an option
 * (pgdata, pgBin, logFile, a timeout) cannot be used in a script — before any script exists.
 */
export function planLadder(snapshot: TSnapshot, options: TLadderOptions): TLadderPlan {
  const pgdata = requireAbsolutePath(options.pgdata, "pgdata");
  const { dir: pgBin, source: pgBinSource } = resolvePgBin(snapshot, options.pgBin);
  const logFile =
    options.logFile === undefined ? null : requireAbsolutePath(options.logFile, "logFile");
  const stopTimeoutSec = requireSeconds(
    options.stopTimeoutSec,
    DEFAULT_STOP_TIMEOUT_SEC,
    "stopTimeoutSec",
  );
  const startTimeoutSec = requireSeconds(
    options.startTimeoutSec,
    DEFAULT_START_TIMEOUT_SEC,
    "startTimeoutSec",
  );
  const killWaitSec = requireSeconds(options.killWaitSec, DEFAULT_KILL_WAIT_SEC, "killWaitSec");
  const materialFacts = canonicalMaterialFacts(snapshot);
  const warnings: string[] = [];
  const blocker = globalBlocker(snapshot, pgdata);
  const evidence = captureEvidence(snapshot);
  const rungs: TRung[] = [0, 1, 2, 3, 4];

  const base = {
    planVersion: LADDER_PLAN_VERSION,
    pgdata,
    pgdataReal: snapshot.instance.pgdataReal,
    instanceUid: snapshot.instance.ownerUid,
    verdict: snapshot.verdict.code,
    recommendationReason: snapshot.recommendation.reason,
    pgBin,
    pgBinSource,
    materialFacts,
  } as const;

  if (
    blocker !== null ||
    snapshot.instance.pgdataReal === null ||
    snapshot.instance.ownerUid === null
  ) {
    // globalBlocker already says why whenever pgdataReal or the owner is missing.
    const reason = blocker ?? "The data directory could not be resolved on the host.";
    const steps = rungs.map((rung) => finishStep(rung, cannotRun(reason), snapshot, evidence));
    return { ...base, recommendedRung: null, logFile, steps, warnings: [reason] };
  }
  const pm = snapshot.postmaster;
  const resolved: TResolved = {
    snapshot,
    pgdata,
    pgdataReal: snapshot.instance.pgdataReal,
    instanceUid: snapshot.instance.ownerUid,
    pgBin,
    logFile: logFile ?? `${pgdata}/pgrescue-start.log`,
    logFileDefaulted: logFile === null,
    stopTimeoutSec,
    startTimeoutSec,
    killWaitSec,
    cleanup: options.cleanup ?? {},
    postmasterAlive: pm.genuine && pm.state !== "Z" && pm.state !== "absent",
  };
  requireAbsolutePath(resolved.logFile, "logFile");
  if (pgBinSource === "pg_isready" && pgBin !== null && GENERIC_BIN_DIRS.includes(pgBin)) {
    warnings.push(
      `pg_ctl is taken from ${pgBin}, where the probe found pg_isready through PATH; if pg_ctl is not there (Debian's /usr/bin has only wrappers), the step stops before acting: pass the server's bin directory.`,
    );
  }
  const drafts: Record<TRung, TDraft> = {
    0: planFirstAid(resolved),
    1: planStop(resolved, 1),
    2: planStop(resolved, 2),
    3: planKill(resolved),
    4: planStart(resolved),
  };
  const steps = rungs.map((rung) => finishStep(rung, drafts[rung], snapshot, evidence));
  const rec = snapshot.recommendation.rung;
  const recommended = steps.find((st) => st.recommended);
  if (rec !== null && recommended === undefined) {
    warnings.push(
      `The diagnosis recommends rung ${rec}, but it cannot run: ${steps[rec]?.blockedReason ?? "unknown"}`,
    );
  }
  return {
    ...base,
    recommendedRung: recommended?.rung ?? null,
    logFile: resolved.logFile,
    steps,
    warnings,
  };
}

export type TRungChoice =
  | {
      ok: true;
      step: TLadderStep;
      /** The operator picked the recommended rung. */
      followsRecommendation: boolean;
      /** The caller must record the operator's reason (another rung than recommended, or none was). */
      reasonRequired: boolean;
      /** Lower rungs that were recommended or applicable and are skipped by this choice. */
      skipped: TRung[];
      /** Set when the evidence says the step will not work. */
      warning: string | null;
    }
  | {
      ok: false;
      refusal: { code: "not-applicable" | "no-such-rung"; rung: number; reason: string };
    };

/** The operator's choice of a rung: any applicable rung may be chosen; one that cannot run is refused. */
export function chooseRung(plan: TLadderPlan, rung: number): TRungChoice {
  const step = plan.steps.find((s) => s.rung === rung);
  if (step === undefined) {
    return {
      ok: false,
      refusal: {
        code: "no-such-rung",
        rung,
        reason: `There is no rung ${rung}: the ladder has rungs 0 to 4.`,
      },
    };
  }
  if (!step.applicable || step.script === null) {
    return {
      ok: false,
      refusal: {
        code: "not-applicable",
        rung,
        reason: step.blockedReason ?? "This rung cannot run now.",
      },
    };
  }
  const rec = plan.recommendedRung;
  const skipped =
    rec === null || rung <= rec
      ? []
      : plan.steps.filter((s) => s.rung >= rec && s.rung < rung && s.applicable).map((s) => s.rung);
  return {
    ok: true,
    step,
    followsRecommendation: rec === rung,
    reasonRequired: rec !== rung,
    skipped,
    warning: step.expectedToFail ? step.blockedReason : null,
  };
}

/**
 * The canonical text an approval binds to: the rung, the exact script and the material facts of
 * the diagnosis it was planned from. Hash it outside core (sha256); a changed script or a
 * materially different diagnosis gives a different digest, and the approval must be asked again.
 */
export function buildPlanDigestInput(plan: TLadderPlan, rung: TRung): string {
  const step = plan.steps.find((s) => s.rung === rung);
  if (step?.script == null) {
    throw new Error(`rung ${rung} has no script in this plan: nothing to approve`);
  }
  return canonicalJson({
    kind: "pgrescue-approval",
    version: 1,
    pgdata: plan.pgdata,
    rung,
    script: step.script,
    materialFacts: plan.materialFacts,
  });
}
