// Host snapshots ("what is true on the lab host right now") and their comparison, for tests that must
// prove a diagnosis left the host exactly as it was.
import { z } from "zod";
import type { THostProcess, THostState } from "./types.ts";

const ZNumber = z.number();

export const ZHostState = z.object({
  processes: z.array(
    z.object({
      pid: ZNumber,
      ppid: ZNumber,
      state: z.string(),
      startTime: ZNumber,
      uid: ZNumber,
      comm: z.string(),
      args: z.string(),
      cwd: z.string().nullable(),
    }),
  ),
  shm: z.array(
    z.object({
      key: ZNumber,
      shmid: ZNumber,
      perms: ZNumber,
      size: ZNumber,
      cpid: ZNumber,
      lpid: ZNumber,
      nattch: ZNumber,
      uid: ZNumber,
      cuid: ZNumber,
    }),
  ),
  sem: z.array(
    z.object({
      key: ZNumber,
      semid: ZNumber,
      perms: ZNumber,
      nsems: ZNumber,
      uid: ZNumber,
      cuid: ZNumber,
      values: z.array(ZNumber),
      pids: z.array(ZNumber),
    }),
  ),
  devShm: z.array(z.object({ name: z.string(), size: ZNumber, uid: ZNumber, mtimeMs: ZNumber })),
  pidFiles: z.array(
    z.object({
      instance: z.string(),
      path: z.string(),
      content: z.string().nullable(),
      mtimeMs: ZNumber.nullable(),
    }),
  ),
});

/** Parses the helper's `capture` output. */
export function parseHostState(json: string): THostState {
  return ZHostState.parse(JSON.parse(json));
}

export const ZProcessList = ZHostState.shape.processes;

export function parseProcessList(json: string): THostProcess[] {
  return ZProcessList.parse(JSON.parse(json));
}

export type TDiffOptions = {
  /** Processes to leave out of the comparison on both sides, e.g. the ssh session that ran a diagnosis. */
  ignoreProcess?: (process: THostProcess) => boolean;
};

/**
 * Every difference between two snapshots, as readable lines (empty when the host is unchanged).
 * Processes are identified by (PID, start time), IPC objects by id, files by name.
 */
/** Running, sleeping, waiting on disk or idle alternate by themselves: only stopped, traced, zombie and dead are real changes. */
function stateClass(state: string): string {
  return "RSDIW".includes(state) ? "alive" : state;
}

export function diffHostStates(
  before: THostState,
  after: THostState,
  opts: TDiffOptions = {},
): string[] {
  const differences: string[] = [];
  const keep = (process: THostProcess): boolean => !(opts.ignoreProcess?.(process) ?? false);
  const processKey = (process: THostProcess): string =>
    `${String(process.pid)}@${String(process.startTime)}`;
  const describe = (process: THostProcess): string =>
    `PID ${String(process.pid)} (${process.args || process.comm})`;
  compareBy(
    before.processes.filter(keep),
    after.processes.filter(keep),
    processKey,
    (process) => `process ${describe(process)}`,
    (a, b) => [
      ...(stateClass(a.state) !== stateClass(b.state)
        ? [`process ${describe(a)}: state ${a.state} → ${b.state}`]
        : []),
      ...(a.ppid !== b.ppid
        ? [`process ${describe(a)}: parent ${String(a.ppid)} → ${String(b.ppid)}`]
        : []),
      ...(a.args !== b.args ? [`process ${describe(a)}: command line changed to ${b.args}`] : []),
    ],
    differences,
  );
  compareBy(
    before.shm,
    after.shm,
    (segment) => String(segment.shmid),
    (segment) => `shared memory segment ${String(segment.shmid)} (key ${String(segment.key)})`,
    (a, b) =>
      fieldChanges(`shared memory segment ${String(a.shmid)}`, a, b, [
        "key",
        "nattch",
        "uid",
        "perms",
        "size",
        "cpid",
        "lpid",
      ]),
    differences,
  );
  compareBy(
    before.sem,
    after.sem,
    (set) => String(set.semid),
    (set) => `semaphore set ${String(set.semid)} (key ${String(set.key)})`,
    (a, b) => [
      ...fieldChanges(`semaphore set ${String(a.semid)}`, a, b, ["key", "uid", "perms", "nsems"]),
      ...(a.values.join(",") !== b.values.join(",")
        ? [`semaphore set ${String(a.semid)}: values ${a.values.join(",")} → ${b.values.join(",")}`]
        : []),
      ...(a.pids.join(",") !== b.pids.join(",")
        ? [`semaphore set ${String(a.semid)}: sempids ${a.pids.join(",")} → ${b.pids.join(",")}`]
        : []),
    ],
    differences,
  );
  compareBy(
    before.devShm,
    after.devShm,
    (file) => file.name,
    (file) => `/dev/shm/${file.name}`,
    (a, b) => fieldChanges(`/dev/shm/${a.name}`, a, b, ["size", "uid", "mtimeMs"]),
    differences,
  );
  compareBy(
    before.pidFiles,
    after.pidFiles,
    (file) => file.path,
    (file) => file.path,
    (a, b) => [
      ...(a.content !== b.content ? [`${a.path}: content changed`] : []),
      ...(a.mtimeMs !== b.mtimeMs ? [`${a.path}: modified`] : []),
    ],
    differences,
  );
  return differences;
}

function compareBy<T>(
  before: readonly T[],
  after: readonly T[],
  key: (item: T) => string,
  label: (item: T) => string,
  changes: (a: T, b: T) => string[],
  out: string[],
): void {
  const afterByKey = new Map(after.map((item) => [key(item), item]));
  const beforeKeys = new Set(before.map(key));
  for (const item of before) {
    const other = afterByKey.get(key(item));
    if (other === undefined) out.push(`gone: ${label(item)}`);
    else out.push(...changes(item, other));
  }
  for (const item of after) if (!beforeKeys.has(key(item))) out.push(`new: ${label(item)}`);
}

function fieldChanges<T extends Record<string, unknown>>(
  label: string,
  a: T,
  b: T,
  fields: readonly (keyof T & string)[],
): string[] {
  return fields
    .filter((field) => a[field] !== b[field])
    .map((field) => `${label}: ${field} ${String(a[field])} → ${String(b[field])}`);
}
