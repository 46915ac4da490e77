// Material facts of a snapshot: the identities an approval is bound to, as canonical JSON.
import type { TSnapshot } from "./snapshot-schema.ts";

/**
 * Process states that matter for a plan. R/S/I flip constantly on a live process and do not
 * change what a step would do, so they compare equal; Z, T, t, D and X each stay distinct.
 */
export function classifyStateForPlan(state: string): string {
  return state === "R" || state === "S" || state === "I" ? "running" : state;
}

export type TMaterialFacts = {
  probeVersion: string;
  pgdata: string;
  verdict: string;
  pidFile: { exists: string; content: string[] };
  postmaster: { pid: number | null; startTicks: number | null; state: string; genuine: boolean };
  members: {
    pid: number;
    startTicks: number;
    state: string;
    orphan: boolean;
    attachedShm: boolean;
  }[];
  zombies: { pid: number; ppid: number; startTicks: number }[];
  shm: { shmid: number; key: number; ownerUid: number; nattch: number; ours: boolean }[];
  sem: { semid: number; key: number; ownerUid: number; creatorPid: number | null; ours: boolean }[];
  dsm: { name: string; ownerUid: number; ours: boolean; removable: boolean }[];
  /** Only when a supervisor runs the postmaster (absent for plain pg_ctl, so those facts did not change). */
  supervisor?: {
    kind: string;
    unit: string | null;
    activeState: string | null;
    mainPid: number | null;
    maskedRuntime: boolean | null;
    patroniPid: number | null;
    patroniPaused: boolean | null;
    patroniAnswered: boolean | null;
  };
};

function materialSupervisor(snapshot: TSnapshot): TMaterialFacts["supervisor"] {
  const s = snapshot.supervisor;
  if (s.kind !== "systemd" && s.kind !== "patroni" && s.kind !== "container") return undefined;
  return {
    kind: s.kind,
    unit: s.systemd?.unit ?? null,
    activeState: s.systemd?.activeState ?? null,
    mainPid: s.systemd?.mainPid ?? null,
    maskedRuntime: s.systemd?.maskedRuntime ?? null,
    patroniPid: s.patroni?.pid ?? null,
    patroniPaused: s.patroni?.status?.paused ?? null,
    patroniAnswered: s.patroni === null ? null : s.patroni.status !== null,
  };
}

/**
 * Extract what must not change between a diagnosis and the execution of a step planned from
 * it: who the processes are (pid + start ticks), their plan-relevant state, the pid file, and
 * the IPC objects with their ownership. Volatile detail (log tail, wchan, lpid, times) is left out.
 */
export function materialFacts(snapshot: TSnapshot): TMaterialFacts {
  const byNumber =
    <T>(key: (x: T) => number) =>
    (a: T, b: T) =>
      key(a) - key(b);
  return {
    probeVersion: snapshot.probeVersion,
    pgdata: snapshot.instance.pgdata,
    verdict: snapshot.verdict.code,
    pidFile: { exists: snapshot.pidFile.exists, content: [...snapshot.pidFile.raw] },
    postmaster: {
      pid: snapshot.postmaster.pid,
      startTicks: snapshot.postmaster.startTicks,
      state: classifyStateForPlan(snapshot.postmaster.state),
      genuine: snapshot.postmaster.genuine,
    },
    members: snapshot.members
      .map((m) => ({
        pid: m.pid,
        startTicks: m.startTicks,
        state: classifyStateForPlan(m.state),
        orphan: m.orphan,
        attachedShm: m.attachedShm,
      }))
      .sort(byNumber((m) => m.pid)),
    zombies: snapshot.zombies
      .map((z) => ({ pid: z.pid, ppid: z.ppid, startTicks: z.startTicks }))
      .sort(byNumber((z) => z.pid)),
    shm: snapshot.ipc.shm
      .map((s) => ({
        shmid: s.shmid,
        key: s.key,
        ownerUid: s.ownerUid,
        nattch: s.nattch,
        ours: s.ours,
      }))
      .sort(byNumber((s) => s.shmid)),
    sem: snapshot.ipc.sem
      .map((s) => ({
        semid: s.semid,
        key: s.key,
        ownerUid: s.ownerUid,
        creatorPid: s.creatorPid,
        ours: s.ours,
      }))
      .sort(byNumber((s) => s.semid)),
    dsm: snapshot.dsm
      .map((d) => ({ name: d.name, ownerUid: d.ownerUid, ours: d.ours, removable: d.removable }))
      .sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0)),
    supervisor: materialSupervisor(snapshot),
  };
}

type TJson = null | boolean | number | string | TJson[] | { [key: string]: TJson };

function canonicalize(value: unknown): TJson {
  if (value === null || typeof value === "boolean" || typeof value === "string") return value;
  if (typeof value === "number") return Number.isFinite(value) ? value : null;
  if (Array.isArray(value)) return value.map(canonicalize);
  if (typeof value === "object") {
    const out: { [key: string]: TJson } = {};
    for (const key of Object.keys(value).sort()) {
      const item: unknown = (value as Record<string, unknown>)[key];
      if (item !== undefined) out[key] = canonicalize(item);
    }
    return out;
  }
  return null;
}

/** JSON with sorted keys and no whitespace: stable input for a hash of the material facts. */
export function canonicalJson(value: unknown): string {
  return JSON.stringify(canonicalize(value));
}

/** The canonical JSON string of a snapshot's material facts (hash it outside core). */
export function canonicalMaterialFacts(snapshot: TSnapshot): string {
  return canonicalJson(materialFacts(snapshot));
}
