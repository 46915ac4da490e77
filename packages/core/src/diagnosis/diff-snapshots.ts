// diffSnapshots(): what a DBA needs to know changed between two diagnoses of one instance.
import type { TMember, TPostmaster, TSem, TShm, TSnapshot, TZombie } from "./snapshot-schema.ts";

export const SNAPSHOT_CHANGE_AREAS = [
  "verdict",
  "recommendation",
  "postmaster",
  "member",
  "zombie",
  "orphan",
  "shm",
  "sem",
  "dsm",
  "connectivity",
  "cluster",
  "pidfile",
] as const;
export type TSnapshotChangeArea = (typeof SNAPSHOT_CHANGE_AREAS)[number];

export type TSnapshotChange = {
  area: TSnapshotChangeArea;
  kind: "appeared" | "disappeared" | "changed" | "unchanged-stuck";
  /** What changed, e.g. "PID 127" or "shmid 5"; null for instance-wide facts. */
  subject: string | null;
  before: string | null;
  after: string | null;
  /** One line a DBA reads, e.g. "Zombie 146 reaped". */
  summary: string;
};

/**
 * Process state classes a DBA tells apart: R/S/I/D flip on a working process and are one
 * class; stopped (T/t), zombie (Z), dead (X) and "absent" are each their own. A process in D
 * in both diagnoses is reported separately as stuck.
 */
export function classifyStateForDiff(state: string): string {
  return state === "R" || state === "S" || state === "I" || state === "D" ? "running" : state;
}

const STATE_WORDS: Record<string, string> = {
  running: "running",
  T: "stopped (T)",
  t: "traced (t)",
  Z: "zombie (Z)",
  X: "dead (X)",
  absent: "absent",
};

function describeState(state: string): string {
  const cls = classifyStateForDiff(state);
  return STATE_WORDS[cls] ?? `state ${state}`;
}

function processKey(p: { pid: number; startTicks: number | null }): string {
  return `${String(p.pid)}:${String(p.startTicks ?? "?")}`;
}

function mapBy<T>(items: readonly T[], key: (item: T) => string): Map<string, T> {
  return new Map(items.map((item) => [key(item), item]));
}

function show(value: string | number | boolean | null): string {
  return value === null ? "none" : String(value);
}

function diffPostmaster(prev: TPostmaster, cur: TPostmaster, out: TSnapshotChange[]): void {
  const samePid = prev.pid === cur.pid;
  if (!samePid || prev.startTicks !== cur.startTicks) {
    out.push({
      area: "postmaster",
      kind: "changed",
      subject: null,
      before: show(prev.pid),
      after: show(cur.pid),
      summary: samePid
        ? `Postmaster PID ${show(cur.pid)} is a different process now (start time changed)`
        : `Postmaster PID ${show(prev.pid)} → ${show(cur.pid)}`,
    });
  }
  if (classifyStateForDiff(prev.state) !== classifyStateForDiff(cur.state)) {
    out.push({
      area: "postmaster",
      kind: "changed",
      subject: cur.pid === null ? null : `PID ${String(cur.pid)}`,
      before: describeState(prev.state),
      after: describeState(cur.state),
      summary: `Postmaster ${describeState(prev.state)} → ${describeState(cur.state)}`,
    });
  } else if (samePid && prev.pid !== null && prev.state === "D" && cur.state === "D") {
    out.push({
      area: "postmaster",
      kind: "unchanged-stuck",
      subject: `PID ${String(cur.pid)}`,
      before: "D",
      after: "D",
      summary: `Postmaster ${String(cur.pid)} still in uninterruptible sleep (D)${cur.wchan === null ? "" : ` on ${cur.wchan}`}`,
    });
  }
  if (prev.genuine !== cur.genuine) {
    out.push({
      area: "postmaster",
      kind: "changed",
      subject: cur.pid === null ? null : `PID ${String(cur.pid)}`,
      before: prev.genuine ? "genuine" : "not genuine",
      after: cur.genuine ? "genuine" : "not genuine",
      summary: cur.genuine
        ? "Postmaster is now verified genuine"
        : "Postmaster no longer verified genuine",
    });
  }
}

function memberLabel(m: TMember): string {
  return `${m.role} ${String(m.pid)}`;
}

function diffMembers(prev: readonly TMember[], cur: readonly TMember[], out: TSnapshotChange[]) {
  // The postmaster has its own entries; listing it again as a member would double-count it.
  const before = mapBy(
    prev.filter((m) => !m.isPostmaster),
    processKey,
  );
  const after = mapBy(
    cur.filter((m) => !m.isPostmaster),
    processKey,
  );
  const fresh: TMember[] = [];
  for (const [key, m] of after) {
    const old = before.get(key);
    if (old === undefined) {
      if (!m.orphan) {
        fresh.push(m);
        continue;
      }
      out.push({
        area: "orphan",
        kind: "appeared",
        subject: `PID ${String(m.pid)}`,
        before: null,
        after: describeState(m.state),
        summary: `Orphan ${memberLabel(m)} appeared (${describeState(m.state)})`,
      });
      continue;
    }
    if (classifyStateForDiff(old.state) !== classifyStateForDiff(m.state)) {
      out.push({
        area: "member",
        kind: "changed",
        subject: `PID ${String(m.pid)}`,
        before: describeState(old.state),
        after: describeState(m.state),
        summary: `${memberLabel(m)}: ${describeState(old.state)} → ${describeState(m.state)}`,
      });
    } else if (old.state === "D" && m.state === "D") {
      out.push({
        area: "member",
        kind: "unchanged-stuck",
        subject: `PID ${String(m.pid)}`,
        before: "D",
        after: "D",
        summary: `${memberLabel(m)} still in uninterruptible sleep (D)${m.wchan === null ? "" : ` on ${m.wchan}`}`,
      });
    }
    if (old.orphan !== m.orphan) {
      out.push({
        area: "orphan",
        kind: m.orphan ? "appeared" : "disappeared",
        subject: `PID ${String(m.pid)}`,
        before: old.orphan ? "orphan" : "child of the postmaster",
        after: m.orphan ? "orphan" : "child of the postmaster",
        summary: m.orphan
          ? `${memberLabel(m)} is now an orphan (its postmaster is gone)`
          : `${memberLabel(m)} is no longer an orphan`,
      });
    }
  }
  const gone: TMember[] = [];
  for (const [key, m] of before) {
    if (after.has(key)) continue;
    if (!m.orphan) {
      gone.push(m);
      continue;
    }
    out.push({
      area: "orphan",
      kind: "disappeared",
      subject: `PID ${String(m.pid)}`,
      before: describeState(m.state),
      after: null,
      summary: `Orphan ${memberLabel(m)} is gone`,
    });
  }
  pushMemberGroup("appeared", fresh, out);
  pushMemberGroup("disappeared", gone, out);
}

/** Members that came or went; a restart replaces them all, so more than one is one line. */
function pushMemberGroup(
  kind: "appeared" | "disappeared",
  members: readonly TMember[],
  out: TSnapshotChange[],
): void {
  const [only] = members;
  if (only === undefined) return;
  const subject = members.map((m) => `PID ${String(m.pid)}`).join(", ");
  const labelled = (m: TMember) =>
    classifyStateForDiff(m.state) === "running"
      ? memberLabel(m)
      : `${memberLabel(m)} (${describeState(m.state)})`;
  const names = members.map(labelled).join(", ");
  const states = members.map((m) => describeState(m.state)).join(", ");
  const one = members.length === 1;
  out.push({
    area: "member",
    kind,
    subject,
    before: kind === "appeared" ? null : states,
    after: kind === "appeared" ? states : null,
    summary:
      kind === "appeared"
        ? one
          ? `New ${memberLabel(only)} (${describeState(only.state)})`
          : `${String(members.length)} new processes: ${names}`
        : one
          ? `${memberLabel(only)} is gone`
          : `${String(members.length)} processes gone: ${names}`,
  });
}

function diffZombies(prev: readonly TZombie[], cur: readonly TZombie[], out: TSnapshotChange[]) {
  const before = mapBy(prev, processKey);
  const after = mapBy(cur, processKey);
  for (const [key, z] of after) {
    if (before.has(key)) continue;
    out.push({
      area: "zombie",
      kind: "appeared",
      subject: `PID ${String(z.pid)}`,
      before: null,
      after: `child of ${String(z.ppid)}`,
      summary: `Zombie ${String(z.pid)} appeared (${z.comm}, parent ${String(z.ppid)})`,
    });
  }
  for (const [key, z] of before) {
    if (after.has(key)) continue;
    out.push({
      area: "zombie",
      kind: "disappeared",
      subject: `PID ${String(z.pid)}`,
      before: `child of ${String(z.ppid)}`,
      after: null,
      summary: `Zombie ${String(z.pid)} reaped`,
    });
  }
}

function diffShm(prev: readonly TShm[], cur: readonly TShm[], out: TSnapshotChange[]) {
  const key = (s: TShm) => `${String(s.shmid)}:${String(s.key)}`;
  const before = mapBy(prev, key);
  const after = mapBy(cur, key);
  const whose = (s: TShm) => (s.ours ? "this instance's" : "a foreign");
  for (const [k, s] of after) {
    const subject = `shmid ${String(s.shmid)}`;
    const old = before.get(k);
    if (old === undefined) {
      out.push({
        area: "shm",
        kind: "appeared",
        subject,
        before: null,
        after: `nattch ${String(s.nattch)}`,
        summary: `New SysV segment ${s.keyHex} (${subject}, ${whose(s)}, nattch ${String(s.nattch)})`,
      });
      continue;
    }
    if (old.nattch !== s.nattch) {
      out.push({
        area: "shm",
        kind: "changed",
        subject,
        before: `nattch ${String(old.nattch)}`,
        after: `nattch ${String(s.nattch)}`,
        summary: `SysV segment ${s.keyHex} (${subject}): nattch ${String(old.nattch)} → ${String(s.nattch)}`,
      });
    }
    if (old.ours !== s.ours) {
      out.push({
        area: "shm",
        kind: "changed",
        subject,
        before: old.ours ? "ours" : "not ours",
        after: s.ours ? "ours" : "not ours",
        summary: `SysV segment ${s.keyHex} (${subject}) is ${s.ours ? "now" : "no longer"} attributed to this instance`,
      });
    }
  }
  for (const [k, s] of before) {
    if (after.has(k)) continue;
    out.push({
      area: "shm",
      kind: "disappeared",
      subject: `shmid ${String(s.shmid)}`,
      before: `nattch ${String(s.nattch)}`,
      after: null,
      summary: `SysV segment ${s.keyHex} (shmid ${String(s.shmid)}) is gone`,
    });
  }
}

function diffSem(prev: readonly TSem[], cur: readonly TSem[], out: TSnapshotChange[]) {
  const key = (s: TSem) => `${String(s.semid)}:${String(s.key)}`;
  const before = mapBy(prev, key);
  const after = mapBy(cur, key);
  for (const [k, s] of after) {
    const subject = `semid ${String(s.semid)}`;
    const old = before.get(k);
    if (old === undefined) {
      out.push({
        area: "sem",
        kind: "appeared",
        subject,
        before: null,
        after: s.ours ? "ours" : "not ours",
        summary: `New semaphore set ${subject}${s.ours ? " (this instance's)" : ""}`,
      });
    } else if (old.ours !== s.ours) {
      out.push({
        area: "sem",
        kind: "changed",
        subject,
        before: old.ours ? "ours" : "not ours",
        after: s.ours ? "ours" : "not ours",
        summary: `Semaphore set ${subject} is ${s.ours ? "now" : "no longer"} attributed to this instance`,
      });
    }
  }
  const gone = [...before].filter(([k]) => !after.has(k)).map(([, s]) => s);
  if (gone.length > 0) {
    out.push({
      area: "sem",
      kind: "disappeared",
      subject: gone.map((s) => `semid ${String(s.semid)}`).join(", "),
      before: String(gone.length),
      after: null,
      // A restart replaces every set at once; one line per set would drown the rest.
      summary:
        gone.length === 1
          ? `Semaphore set semid ${String(gone[0]?.semid)} is gone`
          : `${String(gone.length)} semaphore sets are gone`,
    });
  }
}

function diffDsm(prev: TSnapshot["dsm"], cur: TSnapshot["dsm"], out: TSnapshotChange[]) {
  const before = new Set(prev.map((d) => d.name));
  const after = new Set(cur.map((d) => d.name));
  const fresh = cur.filter((d) => !before.has(d.name));
  const gone = prev.filter((d) => !after.has(d.name));
  const ours = (files: TSnapshot["dsm"]) =>
    files.every((d) => d.ours)
      ? " (this instance's)"
      : files.some((d) => d.ours)
        ? " (some this instance's)"
        : "";
  const names = (files: TSnapshot["dsm"]) => files.map((d) => d.name).join(", ");
  if (fresh.length > 0) {
    out.push({
      area: "dsm",
      kind: "appeared",
      subject: fresh.map((d) => d.path).join(", "),
      before: null,
      after: String(fresh.length),
      summary:
        fresh.length === 1
          ? `New /dev/shm file ${names(fresh)}${ours(fresh)}`
          : `${String(fresh.length)} new /dev/shm files: ${names(fresh)}${ours(fresh)}`,
    });
  }
  if (gone.length > 0) {
    out.push({
      area: "dsm",
      kind: "disappeared",
      subject: gone.map((d) => d.path).join(", "),
      before: String(gone.length),
      after: null,
      summary:
        gone.length === 1
          ? `/dev/shm file ${names(gone)} is gone`
          : `${String(gone.length)} /dev/shm files gone: ${names(gone)}`,
    });
  }
}

function changed(
  area: TSnapshotChangeArea,
  label: string,
  before: string | number | null,
  after: string | number | null,
  out: TSnapshotChange[],
): void {
  if (before === after) return;
  const b = show(before);
  const a = show(after);
  out.push({
    area,
    kind: "changed",
    subject: null,
    before: b,
    after: a,
    summary: `${label}: ${b} → ${a}`,
  });
}

/**
 * The DBA-relevant differences from `previous` to `current`, most important first: verdict
 * and rung, postmaster, processes, IPC, connectivity, control data, pid file. Processes are
 * matched by PID and start ticks, so a reused PID is a new process; volatile detail (wait
 * channels, R↔S flips, log tail) is ignored.
 */
export function diffSnapshots(previous: TSnapshot, current: TSnapshot): TSnapshotChange[] {
  const out: TSnapshotChange[] = [];
  if (previous.verdict.code !== current.verdict.code) {
    out.push({
      area: "verdict",
      kind: "changed",
      subject: null,
      before: previous.verdict.code,
      after: current.verdict.code,
      summary: `Verdict ${previous.verdict.code} → ${current.verdict.code}`,
    });
  }
  const rung = (r: number | null) => (r === null ? "none" : `rung ${String(r)}`);
  if (previous.recommendation.rung !== current.recommendation.rung) {
    out.push({
      area: "recommendation",
      kind: "changed",
      subject: null,
      before: rung(previous.recommendation.rung),
      after: rung(current.recommendation.rung),
      summary: `Recommended ${rung(previous.recommendation.rung)} → ${rung(current.recommendation.rung)}`,
    });
  }
  diffPostmaster(previous.postmaster, current.postmaster, out);
  diffMembers(previous.members, current.members, out);
  diffZombies(previous.zombies, current.zombies, out);
  diffShm(previous.ipc.shm, current.ipc.shm, out);
  diffSem(previous.ipc.sem, current.ipc.sem, out);
  diffDsm(previous.dsm, current.dsm, out);
  changed(
    "connectivity",
    "pg_isready",
    previous.connectivity.pgIsReady.meaning,
    current.connectivity.pgIsReady.meaning,
    out,
  );
  changed(
    "cluster",
    "Cluster state",
    previous.controlData.clusterState,
    current.controlData.clusterState,
    out,
  );
  const presence = { yes: "present", no: "missing", unknown: "unknown" } as const;
  changed(
    "pidfile",
    "postmaster.pid",
    presence[previous.pidFile.exists],
    presence[current.pidFile.exists],
    out,
  );
  changed("pidfile", "postmaster.pid PID", previous.pidFile.pid, current.pidFile.pid, out);
  changed("pidfile", "postmaster.pid status", previous.pidFile.status, current.pidFile.status, out);
  return out;
}
