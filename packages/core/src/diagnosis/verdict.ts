// The verdict and the recommended rung, derived from identified facts by explicit evidence rules.
import { describePgIsReady } from "../parsers/pg-isready.ts";
import { describeProcessState, explainWchan } from "../parsers/proc-stat.ts";
import { isCleanShutdownState } from "../parsers/control-data.ts";
import { formatEpoch } from "./identify.ts";
import type {
  TMember,
  TRecommendation,
  TRung,
  TSnapshot,
  TVerdict,
  TVerdictCode,
} from "./snapshot-schema.ts";

export type TDiagnosisFacts = Omit<TSnapshot, "verdict" | "recommendation">;
export type TJudgement = { verdict: TVerdict; recommendation: TRecommendation };

const TITLES: Record<TVerdictCode, string> = {
  healthy: "Running and accepting connections",
  starting: "Starting up or recovering",
  "shutting-down": "Shutting down",
  "stopped-clean": "Stopped cleanly",
  "stopped-unclean": "Stopped, but not shut down cleanly",
  "stale-pidfile": "Stale postmaster.pid: its PID is dead",
  "pid-reused": "postmaster.pid names a PID now used by an unrelated process",
  unresponsive: "Postmaster alive but not answering",
  "postmaster-stopped": "Postmaster is stopped (T)",
  "zombies-unreaped": "Zombie children the postmaster does not reap",
  "orphans-attached": "Orphaned server processes survive their postmaster",
  "shm-leftover": "Postmaster gone; its shared memory segment is left over",
  "semaphores-leftover": "Postmaster gone; its SysV semaphore sets are left over",
  unknown: "Cannot tell",
};

function judge(
  facts: TDiagnosisFacts,
  code: TVerdictCode,
  rung: TRung | null,
  reason: string,
  extra: { evidence?: string[]; cautions?: string[]; title?: string } = {},
): TJudgement {
  return {
    verdict: {
      code,
      title: extra.title ?? TITLES[code],
      evidence: [...(extra.evidence ?? []), ...collectEvidence(facts)],
    },
    recommendation: {
      rung,
      reason,
      cautions: [...(extra.cautions ?? []), ...collectCautions(facts)],
    },
  };
}

function listPids(members: readonly { pid: number }[], limit = 12): string {
  const shown = members.slice(0, limit).map((m) => String(m.pid));
  return members.length > limit
    ? `${shown.join(", ")} … (${members.length} in all)`
    : shown.join(", ");
}

function describeMember(m: TMember): string {
  return `${m.pid} ${m.role} (${m.state}${m.wchan ? `, wchan ${m.wchan}` : ""})`;
}

function describePidFile(f: TDiagnosisFacts): string {
  const pf = f.pidFile;
  if (pf.exists === "no") return "no postmaster.pid in PGDATA";
  if (pf.exists === "unknown")
    return `PGDATA is not searchable by uid ${String(f.host.uid)}: postmaster.pid cannot be checked`;
  if (!pf.readable) return "postmaster.pid exists but is not readable";
  if (pf.pid === null) return `postmaster.pid is not usable: ${pf.errors.join("; ") || "no PID"}`;
  const parts = [`postmaster.pid: PID ${pf.pid}${pf.singleUser ? " (standalone backend)" : ""}`];
  if (pf.startTime !== null) parts.push(`started ${formatEpoch(pf.startTime)}`);
  if (pf.port !== null) parts.push(`port ${pf.port}`);
  if (pf.socketDir !== null) parts.push(`socket ${pf.socketDir}`);
  if (pf.shmKeyHex !== null) parts.push(`shm key ${pf.shmKeyHex} id ${String(pf.shmId)}`);
  if (pf.status !== null) parts.push(`status ${pf.status}`);
  return parts.join(", ");
}

function describePostmaster(f: TDiagnosisFacts): string | null {
  const pm = f.postmaster;
  if (pm.pid === null) return null;
  if (pm.state === "absent") return `PID ${pm.pid}: no such process`;
  const head = `PID ${pm.pid}: ${describeProcessState(pm.state)} (${pm.state})${pm.wchan ? `, wchan ${pm.wchan}` : ""}`;
  const checks = pm.checks.map((c) => `${c.ok ? "✓" : "✗"} ${c.detail}`).join("; ");
  return `${head}; ${pm.genuine ? "genuine postmaster" : "NOT this instance's postmaster"}: ${checks}`;
}

/** Evidence lines every verdict shows, in the order a DBA checks them. */
function collectEvidence(f: TDiagnosisFacts): string[] {
  const lines: string[] = [describePidFile(f)];
  const pm = describePostmaster(f);
  if (pm) lines.push(pm);
  const members = f.members.filter((m) => !m.isPostmaster);
  if (members.length > 0) {
    lines.push(
      `${members.length} other member process(es): ${members.slice(0, 12).map(describeMember).join("; ")}${members.length > 12 ? " …" : ""}`,
    );
  }
  const orphans = f.members.filter((m) => m.orphan);
  if (orphans.length > 0) {
    lines.push(
      `${orphans.length} orphan(s), re-parented away from the postmaster: ${orphans.map(describeMember).join("; ")}`,
    );
  }
  if (f.zombies.length > 0) {
    const ofPm = f.zombies.filter((z) => z.parentIsPostmaster).length;
    lines.push(
      `${f.zombies.length} zombie(s) (${ofPm} children of the postmaster): ${listPids(f.zombies)} — already dead, they disappear when their parent reaps them or exits`,
    );
  }
  for (const shm of f.ipc.shm.filter((s) => s.ours)) {
    const who =
      shm.attachedPids.length > 0
        ? ` (attached: ${listPids(shm.attachedPids.map((pid) => ({ pid })))})`
        : "";
    const hidden =
      shm.unaccountedAttachments > 0
        ? `, ${shm.unaccountedAttachments} attachment(s) by processes the probe could not inspect`
        : "";
    lines.push(`SysV segment ${shm.keyHex} id ${shm.shmid}: nattch ${shm.nattch}${who}${hidden}`);
  }
  const ourSems = f.ipc.sem.filter((s) => s.ours);
  if (ourSems.length > 0) {
    const dead = ourSems.filter((s) => s.creatorAlive !== true).length;
    lines.push(
      `${ourSems.length} SysV semaphore set(s) of this instance (creator ${String(ourSems[0]?.creatorPid)}, ${dead > 0 ? "dead" : "alive"}): semid ${ourSems.map((s) => s.semid).join(", ")}`,
    );
  }
  const foreignIpc =
    f.ipc.shm.filter((s) => !s.ours).length + f.ipc.sem.filter((s) => !s.ours).length;
  if (foreignIpc > 0)
    lines.push(
      `${foreignIpc} other SysV object(s) on the host are not this instance's: left alone`,
    );
  const r = f.connectivity.pgIsReady;
  if (r.meaning !== "not-run") {
    lines.push(
      `pg_isready${r.host ? ` -h ${r.host}` : ""}${r.port !== null ? ` -p ${r.port}` : ""}: ${describePgIsReady(r.meaning)}${r.exitCode !== null ? ` (exit ${r.exitCode})` : ""}`,
    );
  }
  if (f.controlData.clusterState !== null) {
    lines.push(`cluster state (${f.controlData.source}): ${f.controlData.clusterState}`);
  }
  for (const line of f.log.notable.slice(-3)) lines.push(`server log: ${line}`);
  return lines;
}

function collectCautions(f: TDiagnosisFacts): string[] {
  const cautions: string[] = [];
  const inD = f.members.filter((m) => m.state === "D");
  if (inD.length > 0) {
    cautions.push(
      `${inD.map(describeMember).join("; ")}: in uninterruptible sleep (D). No signal, not even SIGKILL, takes effect until the kernel call returns — check the storage (NFS, a dying disk) if it persists.`,
    );
  }
  const hidden = f.ipc.shm.filter((s) => s.ours && s.unaccountedAttachments > 0);
  if (hidden.length > 0) {
    cautions.push(
      "Some attachments to this instance's segment belong to processes the probe could not inspect (another user, or hidepid): run the probe as the instance owner or root.",
    );
  }
  if (f.host.procHidepid)
    cautions.push(
      "/proc is mounted with hidepid: processes of other users are invisible to the probe.",
    );
  return cautions;
}

function listStates(members: readonly TMember[]): string {
  return members
    .map((m) => `${m.pid} (${m.state}${m.state === "D" && m.wchan ? `, wchan ${m.wchan}` : ""})`)
    .join(", ");
}

function judgeOrphans(f: TDiagnosisFacts, intro: string): TJudgement {
  const orphans = f.members.filter((m) => !m.isPostmaster);
  const attached = orphans.filter((m) => m.attachedShm);
  const ourShm = f.ipc.shm.find((s) => s.ours);
  const inD = orphans.filter((m) => m.state === "D");
  const shmText = ourShm
    ? ` They keep segment ${ourShm.keyHex} id ${ourShm.shmid} attached (nattch ${ourShm.nattch}), so PostgreSQL refuses to start ("pre-existing shared memory block … is still in use").`
    : "";
  const reason =
    `${intro} ${orphans.length} member process(es) still run without their postmaster: ${listStates(orphans)}.${shmText} ` +
    `SIGKILL them (rung 3; SIGKILL also ends stopped (T) processes). Once nattch is 0 PostgreSQL reclaims the segment and its /dev/shm files itself at the next start: no ipcrm needed.` +
    (inD.length > 0 ? ` ${listPids(inD)} in D will only die when their kernel call returns.` : "");
  return judge(f, "orphans-attached", 3, reason, {
    title:
      attached.length > 0
        ? TITLES["orphans-attached"]
        : "Orphaned server processes survive their postmaster (not attached to shared memory)",
  });
}

function judgeDeadPostmaster(f: TDiagnosisFacts, pidNote: string): TJudgement {
  const live = f.members.filter((m) => !m.isPostmaster);
  if (live.length > 0) return judgeOrphans(f, pidNote);
  const ourShm = f.ipc.shm.filter((s) => s.ours);
  const hidden = ourShm.filter((s) => s.nattch > 0);
  if (hidden.length > 0) {
    return judge(
      f,
      "unknown",
      null,
      `${pidNote} Segment ${hidden.map((s) => `${s.keyHex} id ${s.shmid} (nattch ${s.nattch})`).join(", ")} is still attached, but the probe sees no attached process: run it as the instance owner or root before acting.`,
    );
  }
  const ourSems = f.ipc.sem.filter((s) => s.ours && s.creatorAlive !== true);
  if (ourSems.length > 0) {
    const exhausted = f.log.tail.some((l) =>
      /could not create semaphores|No space left on device/i.test(l),
    );
    const ids = ourSems.map((s) => s.semid).join(", ");
    return exhausted
      ? judge(
          f,
          "semaphores-leftover",
          3,
          `${pidNote} The log shows the kernel's semaphore limits are exhausted. Remove only this instance's ${ourSems.length} set(s) (semid ${ids}: magic 537, creator ${String(ourSems[0]?.creatorPid)} dead), then start (rung 4). Other sets on the host are not ours.`,
        )
      : judge(
          f,
          "semaphores-leftover",
          4,
          `${pidNote} ${ourSems.length} semaphore set(s) of this instance remain (semid ${ids}), their creator is dead: PostgreSQL reuses or removes dead-creator sets at its own keys when it starts. Remove them (rung 3, only these) only if start fails with "could not create semaphores: No space left on device".`,
        );
  }
  if (ourShm.length > 0) {
    const seg = ourShm.map((s) => `${s.keyHex} id ${s.shmid}`).join(", ");
    return judge(
      f,
      "stale-pidfile",
      4,
      `${pidNote} No process of this instance runs; its SysV segment ${seg} remains with nattch 0 (a crash leftover). Start the instance (rung 4): PostgreSQL replaces a postmaster.pid whose PID is dead and reclaims the segment, and through it the instance's /dev/shm/PostgreSQL.* files.`,
      { cautions: [doNotIpcrm(seg)] },
    );
  }
  return judge(
    f,
    "stale-pidfile",
    4,
    `${pidNote} No process of this instance runs and none of its IPC objects remain (typical after a host reboot). Start the instance (rung 4): PostgreSQL replaces a postmaster.pid whose PID is dead.`,
  );
}

function doNotIpcrm(segment: string): string {
  return `Do not ipcrm segment ${segment} first: PostgreSQL would lose the control handle of its dynamic shared memory and /dev/shm/PostgreSQL.* files would leak until reboot.`;
}

/**
 * Without postmaster.pid nothing proves a segment is ours, but since PostgreSQL 13 the key is the
 * data directory's inode (+ a few on collision): such a segment of the instance's user is very
 * likely this instance's leftover.
 */
function findInodeKeyedSegments(f: TDiagnosisFacts): TDiagnosisFacts["ipc"]["shm"] {
  const inode = f.instance.dataDirInode;
  if (inode === null) return [];
  const base = inode % 2 ** 32;
  return f.ipc.shm.filter(
    (s) =>
      (f.instance.ownerUid === null || s.ownerUid === f.instance.ownerUid) &&
      s.key >= base &&
      s.key < base + 16 &&
      // Attached by visible processes of another data directory: that instance's, not ours.
      s.attachedPids.length === 0,
  );
}

function judgeGenuine(f: TDiagnosisFacts): TJudgement {
  const pm = f.postmaster;
  const pid = String(pm.pid);
  const zombies = f.zombies.filter((z) => z.parentIsPostmaster);
  const z = zombies.length;
  const readiness = f.connectivity.pgIsReady.meaning;
  const hint = explainWchan(pm.wchan);
  const wchan = pm.wchan ? `, wchan ${pm.wchan}${hint ? ` — ${hint}` : ""}` : "";

  if (f.pidFile.singleUser) {
    return judge(
      f,
      "unknown",
      null,
      `PID ${pid} is a standalone backend (postgres --single), e.g. a wraparound VACUUM: do not interrupt it; find the terminal that runs it.`,
      {
        title: "A standalone backend holds PGDATA",
      },
    );
  }
  if (pm.state === "T") {
    const zText = z > 0 ? ` It cannot reap its ${z} zombie child(ren) while stopped.` : "";
    return judge(
      f,
      z > 0 ? "zombies-unreaped" : "postmaster-stopped",
      0,
      `Postmaster ${pid} is stopped (T${wchan}): fast and immediate stop will wait for the full timeout, because SIGINT/SIGQUIT stay pending.${zText} Resume it with SIGCONT first (rung 0), then diagnose again.`,
    );
  }
  if (pm.state === "t") {
    return judge(
      f,
      z > 0 ? "zombies-unreaped" : "postmaster-stopped",
      null,
      `Postmaster ${pid} is stopped by a tracer (t${wchan}): a debugger or strace holds it; SIGCONT does not release it. Detach the tracer, then diagnose again.`,
    );
  }
  if (pm.state === "D") {
    return judge(
      f,
      z > 0 ? "zombies-unreaped" : "unresponsive",
      null,
      `Postmaster ${pid} is in uninterruptible sleep (D${wchan}): no signal, not even SIGKILL, takes effect until its kernel call returns, so every stop mode would hang. Find out what it waits for (storage, NFS), then diagnose again.`,
    );
  }
  if (readiness === "accepting") {
    const cautions: string[] = [];
    if (z > 0)
      cautions.push(
        `${z} zombie child(ren) at probe time (${listPids(zombies)}): normal if transient; if they persist across diagnoses the postmaster is not reaping.`,
      );
    const orphans = f.members.filter((m) => m.orphan);
    if (orphans.length > 0)
      cautions.push(`Orphans of an earlier postmaster still run: ${listStates(orphans)}.`);
    return judge(f, "healthy", null, "The instance answers; nothing to do.", { cautions });
  }
  if (readiness === "rejecting") {
    if (f.pidFile.status === "stopping") {
      return judge(
        f,
        z > 0 ? "zombies-unreaped" : "shutting-down",
        1,
        `A shutdown is in progress (postmaster.pid status "stopping"). A smart shutdown waits for every client to leave: a fast stop (rung 1) disconnects them; if a fast stop is already hanging, use immediate (rung 2).`,
      );
    }
    return judge(
      f,
      "starting",
      null,
      `The server rejects connections while starting or recovering (postmaster.pid status "${f.pidFile.status ?? "none"}"). Crash recovery can take long: watch the server log; do not kill it.`,
    );
  }
  if (readiness === "no-response" || readiness === "timed-out") {
    if (z > 0) {
      return judge(
        f,
        "zombies-unreaped",
        1,
        `Postmaster ${pid} (${pm.state}${wchan}) does not answer and has not reaped ${z} zombie child(ren). Try a fast stop (rung 1); if it times out, immediate (rung 2); if that hangs too, kill the members (rung 3) — once the postmaster is gone, init reaps the zombies.`,
      );
    }
    return judge(
      f,
      "unresponsive",
      1,
      `Postmaster ${pid} is genuine and ${describeProcessState(pm.state)} (${pm.state}${wchan}) but pg_isready gets no answer. Try a fast stop (rung 1); if it times out, immediate (rung 2).`,
    );
  }
  if (z > 0) {
    return judge(
      f,
      "zombies-unreaped",
      1,
      `Postmaster ${pid} has ${z} zombie child(ren) and connectivity could not be checked (${describePgIsReady(readiness)}). Try a fast stop (rung 1).`,
    );
  }
  return judge(
    f,
    "unknown",
    null,
    `Postmaster ${pid} is genuine, but connectivity could not be checked (pg_isready: ${describePgIsReady(readiness)}): pass the server's bin directory, then diagnose again.`,
  );
}

/**
 * Decide the verdict. `blockers` are problems that make the facts untrustworthy (truncated
 * output, wrong data directory): they always yield `unknown`, never a destructive rung.
 */
export function decideVerdict(f: TDiagnosisFacts, blockers: readonly string[]): TJudgement {
  if (blockers.length > 0) {
    return judge(
      f,
      "unknown",
      null,
      `The probe's output cannot be trusted: ${blockers.join("; ")}. Diagnose again.`,
      {
        evidence: [...blockers],
      },
    );
  }
  const pf = f.pidFile;
  if (pf.exists === "unknown") {
    return judge(
      f,
      "unknown",
      null,
      `The probe ran as uid ${String(f.host.uid)} and cannot look into PGDATA: run it as the instance owner (uid ${String(f.instance.ownerUid)}).`,
    );
  }
  const live = f.members;

  if (pf.exists === "no") {
    if (live.length > 0) {
      const pmLike = live.filter((m) => m.role === "postmaster");
      if (pmLike.length > 0) {
        return judge(
          f,
          "unknown",
          null,
          `A postmaster-like process (${listPids(pmLike)}) runs in PGDATA without postmaster.pid. PostgreSQL checks its lock file every minute and shuts down when it is gone: wait a minute and diagnose again; do not recreate the file.`,
        );
      }
      return judgeOrphans(f, "postmaster.pid is gone.");
    }
    const leftover = findInodeKeyedSegments(f);
    if (leftover.length > 0) {
      const seg = leftover.map((s) => `${s.keyHex} id ${s.shmid} (nattch ${s.nattch})`).join(", ");
      if (leftover.some((s) => s.nattch > 0)) {
        return judge(
          f,
          "unknown",
          null,
          `postmaster.pid is gone and no process of this instance is visible, but segment ${seg}, keyed on this data directory's inode, is still attached: run the probe as the instance owner or root before acting.`,
        );
      }
      return judge(
        f,
        "shm-leftover",
        4,
        `postmaster.pid is gone (removed by hand after a crash?) and nothing runs, but segment ${seg} remains, keyed on this data directory's inode as PostgreSQL ≥ 13 does. Start the instance (rung 4): PostgreSQL finds the segment by that key, checks that it belongs to this data directory and reclaims it.`,
        { cautions: [doNotIpcrm(leftover.map((s) => `${s.keyHex} id ${s.shmid}`).join(", "))] },
      );
    }
    const state = f.controlData.clusterState;
    if (state === null || isCleanShutdownState(state)) {
      return judge(
        f,
        "stopped-clean",
        4,
        "Nothing runs and no postmaster.pid exists. Start the instance when wanted (rung 4).",
        {
          cautions:
            state === null
              ? [
                  "The cluster state could not be read (no pg_controldata or pg_control): a clean shutdown is not confirmed.",
                ]
              : [],
        },
      );
    }
    return judge(
      f,
      "stopped-unclean",
      4,
      `Nothing runs and no postmaster.pid exists, but the cluster state is "${state}": start the instance (rung 4); crash recovery will replay WAL from the last checkpoint.`,
    );
  }

  if (!pf.readable || pf.pid === null) {
    if (live.length > 0) return judgeOrphans(f, "postmaster.pid is unusable.");
    return judge(
      f,
      "stale-pidfile",
      4,
      `postmaster.pid is ${pf.readable ? "malformed" : "unreadable"} (${pf.errors.join("; ") || "no PID"}) and no process of this instance runs. PostgreSQL refuses to start with such a lock file ("bogus data in lock file" / "lock file is empty").`,
      { cautions: ["Move postmaster.pid aside before starting (no live postmaster owns it)."] },
    );
  }

  const pm = f.postmaster;
  if (pm.state === "absent") {
    return judgeDeadPostmaster(f, `PID ${pf.pid} from postmaster.pid is dead.`);
  }
  if (pm.state === "Z") {
    if (live.some((m) => !m.isPostmaster))
      return judgeOrphans(f, `Postmaster ${pf.pid} has exited (zombie).`);
    return judge(
      f,
      "unknown",
      null,
      `Postmaster ${pf.pid} has exited but its parent has not reaped it; the PID stays taken (PostgreSQL would refuse to start) until the parent reaps it or exits.`,
    );
  }
  if (!pm.genuine) {
    const failed = pm.checks.filter((c) => !c.ok);
    if (failed.length === 1 && failed[0]?.name === "start time") {
      return judge(
        f,
        "unknown",
        null,
        `PID ${pf.pid} runs a PostgreSQL binary in PGDATA, but its start time disagrees with postmaster.pid (${failed[0].detail}). A clock step could explain it; refusing to guess.`,
      );
    }
    if (live.length > 0) {
      return judgeOrphans(
        f,
        `PID ${pf.pid} from postmaster.pid now belongs to an unrelated process: never signal it.`,
      );
    }
    const sameUser = pm.uid !== null && pm.uid === f.instance.ownerUid;
    const start = sameUser
      ? `It runs as the instance's OS user, so PostgreSQL refuses to start ('lock file "postmaster.pid" already exists'): start (rung 4): its script first moves postmaster.pid aside — and the socket lock file that names the same PID — after re-checking that no live postmaster owns them.`
      : "It belongs to another OS user, which PostgreSQL treats as not running: start the instance (rung 4).";
    return judge(
      f,
      "pid-reused",
      4,
      `PID ${pf.pid} in postmaster.pid now belongs to an unrelated process (${failed.map((c) => c.detail).join("; ")}): never signal it. ${start}`,
      { cautions: [`Never signal PID ${pf.pid}: it is not PostgreSQL's.`] },
    );
  }
  return judgeGenuine(f);
}
