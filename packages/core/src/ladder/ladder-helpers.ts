// Shared by the rung planners: the resolved options, a rung's draft, identities of members, pid-file moves, wording.
import type {
  TPidAndTicks,
  TPidFileExpectation,
  TProcessIdentity,
  TActionSpec,
} from "../actions/action-script.ts";
import { describeProcessState, explainWchan } from "../parsers/proc-stat.ts";
import { validateAbsolutePath } from "../shell/quote.ts";
import type { TMember, TSnapshot } from "../diagnosis/snapshot-schema.ts";
import type {
  TCleanupOffer,
  TCleanupOption,
  TFileTarget,
  TIpcTarget,
  TProcessTarget,
} from "./ladder-schema.ts";

/** Rung 0 looks at the resumed processes after this long; rung 3 waits this long for init to reap. */
export const OBSERVE_AFTER_SEC = 1;
export const REAP_WAIT_SEC = 5;
/** Headroom of the executor's timeout over the script's own bounds (checks, pg_isready, psql). */
export const INVOCATION_SLACK_SEC = 30;

export type TResolved = {
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

export type TDraft = {
  /** A title other than the rung's usual one (the step works through a supervisor); null: the usual one. */
  title: string | null;
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
  /** Commands for someone with more rights than the console's login (root): shown, never run by the console. */
  manualCommands: string[];
  timeoutSec: number;
};

export function blank(): TDraft {
  return {
    title: null,
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
    manualCommands: [],
    timeoutSec: 0,
  };
}

export function cannotRun(reason: string, outcome = "Nothing: this rung cannot run now."): TDraft {
  return { ...blank(), blockedReason: reason, expectedOutcome: outcome };
}

export function stripDeleted(exe: string): string {
  return exe.endsWith(" (deleted)") ? exe.slice(0, -" (deleted)".length) : exe;
}

export function roleWord(member: TMember): string {
  return member.role.replaceAll(" ", "-");
}

export type TIdentified = { member: TMember; identity: TProcessIdentity };

/** A member's identity for a script, or why the script could not re-verify it. */
export function identify(
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

export function toProcessTarget(
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

export function pair(t: { pid: number; startTicks: number }): TPidAndTicks {
  return { pid: t.pid, startTicks: t.startTicks };
}

export function describeState(m: { pid: number; state: string; wchan: string | null }): string {
  const hint = explainWchan(m.wchan);
  return `${m.pid} (${describeProcessState(m.state)}, ${m.state}${m.wchan ? `, wchan ${m.wchan}${hint ? ` — ${hint}` : ""}` : ""})`;
}

export function countClients(members: readonly TMember[]): number {
  return members.filter((m) => m.role === "client backend").length;
}

export function plural(n: number, word: string): string {
  if (n === 1) return `${n} ${word}`;
  if (word.endsWith("child")) return `${n} ${word}ren`;
  return `${n} ${word}${/(s|sh|ch|x)$/.test(word) ? "es" : "s"}`;
}

export const LIVE_EVIDENCE =
  "the live evidence of the hang (process states, wait channels, attachments): captured into the incident first";

export function semaphoresExhausted(s: TSnapshot): boolean {
  return s.log.tail.some((l) => /could not create semaphores|No space left on device/i.test(l));
}

export type TPidFileMove = {
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
export function planPidFileMove(r: TResolved): TPidFileMove | null {
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

export function fileTargets(move: TPidFileMove, pgdata: string): TFileTarget[] {
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
