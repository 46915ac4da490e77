// Identification of the instance's postmaster, members, zombies and IPC objects (and only those).
import { formatShmKeyHex } from "../parsers/pid-file.ts";
import type { TIpcsSemInfo, TSysvSemRow, TSysvShmRow } from "../parsers/sysv-ipc.ts";
import type { TDsmFile, TProcLinks, TProcMaps, TProcRecord } from "../parsers/proc-records.ts";
import { classifyProcessTitle } from "../parsers/process-title.ts";
import { convertTicksToEpoch, describeProcessState } from "../parsers/proc-stat.ts";
import type {
  TCheck,
  TDsm,
  TForeignProcess,
  TMember,
  TPidFileFacts,
  TPostmaster,
  TSem,
  TShm,
  TZombie,
} from "./snapshot-schema.ts";

/** PostgreSQL's semaphore sets: 16 semaphores plus one holding the magic value. */
export const PG_SEMAS_PER_SET = 17;
export const PG_SEMA_MAGIC = 537;

export type TProcessView = {
  procs: Map<number, TProcRecord>;
  links: Map<number, TProcLinks>;
  maps: Map<number, TProcMaps>;
  cmdlines: Map<number, string>;
};

export type TClock = { btime: number | null; clkTck: number | null };

export type TIdentifyContext = {
  pgdataReal: string;
  instanceUid: number | null;
  probeUid: number | null;
  pidFile: TPidFileFacts;
  clock: TClock;
  startTimeToleranceSec: number;
};

/** True when an executable path names a PostgreSQL server binary (also after an upgrade). */
export function isPostgresExecutable(exe: string | null): boolean {
  if (exe === null) return false;
  const path = exe.endsWith(" (deleted)") ? exe.slice(0, -" (deleted)".length) : exe;
  const base = path.slice(path.lastIndexOf("/") + 1);
  return /postgres|postmaster/.test(base);
}

function isPostgresLike(record: TProcRecord, view: TProcessView): boolean {
  const exe = view.links.get(record.pid)?.exe ?? null;
  const cmdline = view.cmdlines.get(record.pid) ?? "";
  return (
    isPostgresExecutable(exe) ||
    /postgres|postmaster/.test(record.comm) ||
    cmdline.startsWith("postgres: ")
  );
}

export function toStartTime(startTicks: number, clock: TClock): number | null {
  return clock.btime === null || clock.clkTck === null || clock.clkTck <= 0
    ? null
    : convertTicksToEpoch(startTicks, clock.btime, clock.clkTck);
}

export function formatEpoch(epoch: number | null): string {
  return epoch === null
    ? "unknown"
    : new Date(Math.round(epoch) * 1000).toISOString().replace(".000Z", "Z");
}

function describeUnreadable(record: TProcRecord, ctx: TIdentifyContext): string {
  if (record.state === "Z") return "unreadable (zombie)";
  if (
    record.uid !== null &&
    ctx.probeUid !== null &&
    record.uid !== ctx.probeUid &&
    ctx.probeUid !== 0
  ) {
    return `unreadable (process of uid ${record.uid}; the probe ran as uid ${ctx.probeUid})`;
  }
  return "unreadable";
}

/** The four checks that make the pid-file PID this instance's genuine postmaster. */
export function identifyPostmaster(view: TProcessView, ctx: TIdentifyContext): TPostmaster {
  const pid = ctx.pidFile.pid;
  const record = pid === null ? undefined : view.procs.get(pid);
  const links = pid === null ? undefined : view.links.get(pid);
  const base: TPostmaster = {
    pid,
    state: record?.state ?? "absent",
    wchan: record?.wchan ?? null,
    startTicks: record?.startTicks ?? null,
    startTime: record ? toStartTime(record.startTicks, ctx.clock) : null,
    uid: record?.uid ?? null,
    exe: links?.exe ?? null,
    cwd: links?.cwd ?? null,
    cmdline: pid === null ? null : (view.cmdlines.get(pid) ?? null),
    genuine: false,
    checks: [],
  };
  if (pid === null) {
    base.checks.push({ name: "exists", ok: false, detail: "no PID in postmaster.pid" });
    return base;
  }
  if (!record) {
    base.checks.push({ name: "exists", ok: false, detail: `no process has PID ${pid}` });
    return base;
  }
  const checks: TCheck[] = [];
  checks.push(
    record.state === "Z"
      ? { name: "exists", ok: false, detail: `PID ${pid} is a zombie: the process has exited` }
      : {
          name: "exists",
          ok: true,
          detail: `PID ${pid} is ${describeProcessState(record.state)} (${record.state})`,
        },
  );
  checks.push(
    base.exe === null
      ? { name: "executable", ok: false, detail: `exe ${describeUnreadable(record, ctx)}` }
      : {
          name: "executable",
          ok: isPostgresExecutable(base.exe),
          detail: isPostgresExecutable(base.exe)
            ? `exe ${base.exe}`
            : `exe ${base.exe} is not a PostgreSQL server binary`,
        },
  );
  checks.push(
    base.cwd === null
      ? { name: "cwd", ok: false, detail: `cwd ${describeUnreadable(record, ctx)}` }
      : {
          name: "cwd",
          ok: base.cwd === ctx.pgdataReal,
          detail:
            base.cwd === ctx.pgdataReal
              ? "cwd = PGDATA"
              : `cwd ${base.cwd} is not PGDATA ${ctx.pgdataReal}`,
        },
  );
  const fileStart = ctx.pidFile.startTime;
  if (base.startTime === null || fileStart === null) {
    checks.push({
      name: "start time",
      ok: false,
      detail:
        fileStart === null
          ? "postmaster.pid has no start time"
          : "host clock facts missing (btime, CLK_TCK)",
    });
  } else {
    const delta = Math.round((base.startTime - fileStart) * 100) / 100;
    const ok = Math.abs(delta) <= ctx.startTimeToleranceSec;
    checks.push({
      name: "start time",
      ok,
      detail: `process started ${formatEpoch(base.startTime)}, postmaster.pid says ${formatEpoch(fileStart)} (${delta >= 0 ? "+" : ""}${delta} s${ok ? "" : `, beyond ±${ctx.startTimeToleranceSec} s`})`,
    });
  }
  if (ctx.instanceUid !== null && record.uid !== null) {
    checks.push({
      name: "owner",
      ok: record.uid === ctx.instanceUid,
      detail:
        record.uid === ctx.instanceUid
          ? `runs as uid ${record.uid}, the PGDATA owner`
          : `runs as uid ${record.uid}, PGDATA belongs to uid ${ctx.instanceUid}`,
    });
  }
  return { ...base, checks, genuine: checks.every((c) => c.ok) };
}

export type TProcessFacts = {
  members: TMember[];
  zombies: TZombie[];
  foreign: TForeignProcess[];
};

function matchesPidFileSegment(
  mapping: { key: number; shmid: number },
  pidFile: TPidFileFacts,
): boolean {
  return (
    pidFile.shmId !== null &&
    mapping.shmid === pidFile.shmId &&
    (pidFile.shmKey === null || mapping.key === pidFile.shmKey)
  );
}

/** Members (children, orphans, attached processes), zombies, and postgres-like strangers. */
export function identifyProcesses(
  view: TProcessView,
  ctx: TIdentifyContext,
  postmaster: TPostmaster,
): TProcessFacts {
  const pmAlive = postmaster.genuine && postmaster.state !== "Z" && postmaster.state !== "absent";
  const pmPid = postmaster.pid;
  const members: TMember[] = [];
  const foreign: TForeignProcess[] = [];
  const pending: TProcRecord[] = [];
  const sorted = [...view.procs.values()].sort((a, b) => a.pid - b.pid);

  const buildMember = (record: TProcRecord, because: string[]): TMember => {
    const links = view.links.get(record.pid);
    const cmdline = view.cmdlines.get(record.pid) ?? "";
    const isPostmaster = pmAlive && record.pid === pmPid;
    const title = classifyProcessTitle(cmdline === "" ? `[${record.comm}]` : cmdline);
    const sysv = view.maps.get(record.pid)?.sysv ?? [];
    return {
      pid: record.pid,
      ppid: record.ppid,
      state: record.state,
      wchan: record.wchan,
      startTicks: record.startTicks,
      startTime: toStartTime(record.startTicks, ctx.clock),
      uid: record.uid,
      role: isPostmaster ? "postmaster" : title.role,
      title: title.title,
      cmdline,
      exe: links?.exe ?? null,
      cwd: links?.cwd ?? null,
      isPostmaster,
      orphan: false,
      attachedShm: sysv.length > 0,
      because,
    };
  };

  for (const record of sorted) {
    if (record.state === "Z") continue;
    if (pmAlive && record.pid === pmPid) {
      members.push(buildMember(record, ["genuine postmaster (postmaster.pid)"]));
      continue;
    }
    const links = view.links.get(record.pid);
    const because: string[] = [];
    if (pmAlive && record.ppid === pmPid) because.push(`child of postmaster ${pmPid}`);
    if (links?.cwd === ctx.pgdataReal && isPostgresExecutable(links.exe)) {
      because.push("cwd = PGDATA and a PostgreSQL executable");
    }
    const attached = (view.maps.get(record.pid)?.sysv ?? []).filter((m) =>
      matchesPidFileSegment(m, ctx.pidFile),
    );
    for (const m of attached)
      because.push(`maps SysV segment ${m.keyHex} id ${m.shmid} of postmaster.pid`);
    const ownerOk =
      ctx.instanceUid === null || record.uid === null || record.uid === ctx.instanceUid;
    if (because.length > 0 && ownerOk) members.push(buildMember(record, because));
    else pending.push(record);
  }

  // Helpers started by members (archive_command shells, COPY PROGRAM) run in PGDATA too.
  const memberPids = new Set(members.map((m) => m.pid));
  for (const record of pending) {
    const links = view.links.get(record.pid);
    if (memberPids.has(record.ppid) && links?.cwd === ctx.pgdataReal) {
      members.push(buildMember(record, [`child of member ${record.ppid} with cwd = PGDATA`]));
      continue;
    }
    if (!isPostgresLike(record, view) && record.pid !== pmPid) continue;
    foreign.push(describeForeign(record, view, ctx, postmaster));
  }
  members.sort((a, b) => a.pid - b.pid);

  const livePids = new Set(members.map((m) => m.pid));
  for (const member of members) {
    if (member.isPostmaster) continue;
    const childOfPostmaster = pmAlive && member.ppid === pmPid;
    member.orphan = !childOfPostmaster && !livePids.has(member.ppid);
  }

  const zombies: TZombie[] = [];
  for (const record of sorted) {
    if (record.state !== "Z") continue;
    const parentIsPostmaster = pmAlive && record.ppid === pmPid;
    if (parentIsPostmaster || livePids.has(record.ppid)) {
      zombies.push({
        pid: record.pid,
        ppid: record.ppid,
        startTicks: record.startTicks,
        startTime: toStartTime(record.startTicks, ctx.clock),
        comm: record.comm,
        parentIsPostmaster,
      });
    } else if (isPostgresLike(record, view) && record.pid !== pmPid) {
      foreign.push(describeForeign(record, view, ctx, postmaster));
    }
  }
  foreign.sort((a, b) => a.pid - b.pid);
  return { members, zombies, foreign };
}

function describeForeign(
  record: TProcRecord,
  view: TProcessView,
  ctx: TIdentifyContext,
  postmaster: TPostmaster,
): TForeignProcess {
  const links = view.links.get(record.pid);
  const cmdline = view.cmdlines.get(record.pid) ?? "";
  const cwd = links?.cwd ?? null;
  let reason: string;
  if (record.pid === ctx.pidFile.pid && !postmaster.genuine) {
    const failed = postmaster.checks.filter((c) => !c.ok).map((c) => c.detail);
    reason = `has the PID in postmaster.pid but is not this instance's postmaster: ${failed.join("; ")}`;
  } else if (record.state === "Z") {
    reason = `zombie whose parent ${record.ppid} is not a member of this instance`;
  } else if (ctx.instanceUid !== null && record.uid !== null && record.uid !== ctx.instanceUid) {
    reason = `runs as uid ${record.uid}; PGDATA belongs to uid ${ctx.instanceUid}`;
  } else if (cwd === null) {
    reason = `cwd ${describeUnreadable(record, ctx)}: cannot be tied to this data directory`;
  } else if (cwd !== ctx.pgdataReal) {
    reason = `cwd ${cwd}: another data directory`;
  } else {
    reason = "not a PostgreSQL executable";
  }
  return {
    pid: record.pid,
    ppid: record.ppid,
    state: record.state,
    uid: record.uid,
    cwd,
    title: cmdline === "" ? `[${record.comm}]` : cmdline,
    reason,
  };
}

/** The PIDs mapping each key (a shmid, a DSM file name), each PID once, in the order of `view.maps`. */
function indexPids<K>(
  view: TProcessView,
  keysOf: (maps: TProcMaps) => readonly K[],
): Map<K, number[]> {
  const index = new Map<K, number[]>();
  for (const [pid, maps] of view.maps) {
    for (const key of new Set(keysOf(maps))) {
      const pids = index.get(key) ?? [];
      pids.push(pid);
      index.set(key, pids);
    }
  }
  return index;
}

/** SysV shared memory segments with attachments and ownership. */
export function identifyShm(
  rows: readonly TSysvShmRow[],
  view: TProcessView,
  ctx: TIdentifyContext,
  members: readonly TMember[],
  foreign: readonly TForeignProcess[],
  dataDirInode: number | null,
): TShm[] {
  const memberPids = new Set(members.map((m) => m.pid));
  // Indexed once, not searched per row: thousands of segments and mappings must not cost their product.
  const pidsByShmid = indexPids(view, (maps) => maps.sysv.map((m) => m.shmid));
  return rows.map((row) => {
    const attachedPids = [...(pidsByShmid.get(row.shmid) ?? [])].sort((a, b) => a - b);
    const attached = new Set(attachedPids);
    const byMembers = attachedPids.filter((p) => memberPids.has(p));
    const byForeign = foreign.filter((f) => attached.has(f.pid));
    const ownerOk = ctx.instanceUid === null || row.uid === ctx.instanceUid;
    const namedInPidFile =
      ctx.pidFile.shmId === row.shmid &&
      ctx.pidFile.shmKey !== null &&
      (ctx.pidFile.shmKey === row.key || row.key === 0);
    const ours = ownerOk && (namedInPidFile || byMembers.length > 0);
    let reason: string;
    if (!ownerOk) {
      reason = `owned by uid ${row.uid}, not the PGDATA owner uid ${String(ctx.instanceUid)}`;
    } else if (namedInPidFile) {
      reason = `key ${formatShmKeyHex(row.key)} and id ${row.shmid} are named in postmaster.pid line 7`;
      if (row.key === 0) reason += " (key 0: already marked for removal)";
    } else if (byMembers.length > 0) {
      reason = `attached by member(s) ${byMembers.join(", ")}`;
    } else if (byForeign.length > 0) {
      const first = byForeign[0];
      reason = `attached by PID ${byForeign.map((f) => f.pid).join(", ")} of another instance${first?.cwd ? ` (${first.cwd})` : ""}`;
    } else if (ctx.pidFile.shmId === null) {
      reason = "postmaster.pid names no segment to compare with";
    } else {
      reason = `not the segment in postmaster.pid (key ${ctx.pidFile.shmKeyHex ?? "?"}, id ${ctx.pidFile.shmId})`;
    }
    if (!ours && ownerOk && dataDirInode !== null) {
      const inodeKey = dataDirInode % 2 ** 32;
      if (row.key >= inodeKey && row.key < inodeKey + 16) {
        reason +=
          "; its key derives from this data directory's inode (PostgreSQL ≥ 13), so it is probably this instance's, but nothing proves it";
      }
    }
    return {
      key: row.key,
      keyHex: formatShmKeyHex(row.key),
      shmid: row.shmid,
      ownerUid: row.uid,
      size: row.size,
      nattch: row.nattch,
      cpid: row.cpid,
      lpid: row.lpid,
      attachedPids,
      unaccountedAttachments: Math.max(0, row.nattch - attachedPids.length),
      ours,
      reason,
    };
  });
}

/**
 * SysV semaphore sets. Ours only with the magic 537 in the last semaphore of a 17-set AND
 * that semaphore's sempid (the creating postmaster) equal to the pid-file PID.
 */
export function identifySem(
  rows: readonly TSysvSemRow[],
  infos: ReadonlyMap<number, TIpcsSemInfo>,
  view: TProcessView,
  ctx: TIdentifyContext,
): TSem[] {
  return rows.map((row) => {
    const info = infos.get(row.semid);
    const last = info?.semaphores.find((s) => s.semnum === row.nsems - 1);
    const isPgShape = row.nsems === PG_SEMAS_PER_SET;
    const magicSem = isPgShape && last?.value === PG_SEMA_MAGIC ? last : undefined;
    const magic537 = magicSem !== undefined;
    const creatorPid = magicSem ? magicSem.pid : null;
    let creatorAlive: boolean | null = null;
    if (creatorPid !== null) {
      const proc = view.procs.get(creatorPid);
      const started = proc ? toStartTime(proc.startTicks, ctx.clock) : null;
      // A process started after the set was last initialised cannot have created it.
      creatorAlive =
        proc !== undefined &&
        proc.state !== "Z" &&
        (started === null || row.ctime === 0 || started <= row.ctime + ctx.startTimeToleranceSec);
    }
    const ownerOk = ctx.instanceUid === null || row.uid === ctx.instanceUid;
    const ours = magic537 && creatorPid !== null && creatorPid === ctx.pidFile.pid && ownerOk;
    let reason: string;
    if (!isPgShape) {
      reason = `${row.nsems} semaphore(s): not a PostgreSQL set (PostgreSQL uses ${PG_SEMAS_PER_SET})`;
    } else if (!ownerOk) {
      reason = `owned by uid ${row.uid}, not the PGDATA owner uid ${String(ctx.instanceUid)}${magic537 ? ` (a PostgreSQL set of PID ${String(creatorPid)})` : ""}`;
    } else if (info === undefined || info.semaphores.length === 0) {
      reason = `values not read (${info?.errors[0] ?? "ipcs not run"}): cannot be tied to this instance`;
    } else if (!magic537) {
      reason = `no magic ${PG_SEMA_MAGIC} in semaphore ${row.nsems - 1}: not a PostgreSQL set`;
    } else if (ours) {
      reason = `magic ${PG_SEMA_MAGIC}, created by PID ${creatorPid} = postmaster.pid's PID (${creatorAlive === true ? "alive" : "dead: leftover"})`;
    } else {
      reason = `PostgreSQL set created by PID ${String(creatorPid)} (${creatorAlive === true ? "alive" : "dead"}), not this instance's postmaster ${ctx.pidFile.pid ?? "(no pid file)"}`;
    }
    return {
      key: row.key,
      keyHex: formatShmKeyHex(row.key),
      semid: row.semid,
      ownerUid: row.uid,
      nsems: row.nsems,
      magic537,
      creatorPid,
      creatorAlive,
      ours,
      reason,
    };
  });
}

/**
 * /dev/shm/PostgreSQL.* files: who maps them, whose they are, whether removal is safe. Removable
 * only when owned by the instance user, mapped by nobody, no PostgreSQL process of that user runs
 * and no SysV segment of that user remains that PostgreSQL would clean them up through.
 */
export function identifyDsm(
  files: readonly TDsmFile[],
  view: TProcessView,
  ctx: TIdentifyContext,
  members: readonly TMember[],
  shm: readonly TShm[],
  /** /proc/sysvipc/shm was read completely: only then does "no segment of the owner" mean there is none. */
  shmTableComplete: boolean,
): TDsm[] {
  if (files.length === 0) return [];
  const memberPids = new Set(members.map((m) => m.pid));
  // Indexed once, not searched per file: thousands of files, mappings and processes must not cost their product.
  const pidsByName = indexPids(view, (maps) => maps.dsm);
  const uidsRunningPostgres = new Set(
    [...view.procs.values()]
      .filter((r) => r.state !== "Z" && isPostgresLike(r, view))
      .map((r) => r.uid),
  );
  const firstSegmentByOwner = new Map<number, TShm>();
  for (const segment of shm) {
    if (!firstSegmentByOwner.has(segment.ownerUid))
      firstSegmentByOwner.set(segment.ownerUid, segment);
  }
  return files.map((file) => {
    const mappedBy = [...(pidsByName.get(file.name) ?? [])].sort((a, b) => a - b);
    const ours = mappedBy.some((p) => memberPids.has(p));
    const ownerIsInstance = ctx.instanceUid !== null && file.uid === ctx.instanceUid;
    const livePostgresOfOwner = uidsRunningPostgres.has(file.uid);
    // Any SysV segment of the owner may hold the control handle PostgreSQL cleans these files with.
    const controlSegment = firstSegmentByOwner.get(file.uid);
    const removable =
      ownerIsInstance &&
      mappedBy.length === 0 &&
      !livePostgresOfOwner &&
      controlSegment === undefined &&
      shmTableComplete;
    let reason: string;
    if (ours)
      reason = `mapped by member(s) ${mappedBy.filter((p) => memberPids.has(p)).join(", ")}`;
    else if (mappedBy.length > 0)
      reason = `mapped by PID ${mappedBy.join(", ")}, not members of this instance`;
    else if (!ownerIsInstance) reason = `owned by uid ${file.uid}, not the instance owner`;
    else if (livePostgresOfOwner) {
      reason =
        "unmapped, but PostgreSQL processes of this OS user are running: it may be another instance's pinned segment";
    } else if (controlSegment !== undefined) {
      reason = `unmapped; PostgreSQL removes it at the next start through the control segment kept in SysV segment ${controlSegment.keyHex} id ${controlSegment.shmid}`;
    } else if (!shmTableComplete) {
      reason =
        "unmapped, but /proc/sysvipc/shm could not be read completely: a SysV segment may still reference it";
    } else {
      reason =
        "owned by the instance user, mapped by no process, no PostgreSQL process of that user runs and no SysV segment references it: it leaks until reboot unless removed";
    }
    return {
      name: file.name,
      path: file.path,
      ownerUid: file.uid,
      size: file.size,
      mtime: file.mtime,
      mappedBy,
      ours,
      removable,
      reason,
    };
  });
}
