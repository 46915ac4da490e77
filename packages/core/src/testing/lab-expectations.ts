// What a DBA concludes for each lab scenario, and the checks that a Snapshot agrees with the lab's own reading of the host.
// Shared by core's fixture tests and the live diagnosis tests over sshd (exported as @pgrescue/core/testing).
import { expect } from "vitest";
import type { TRung, TSnapshot, TVerdictCode } from "../diagnosis/snapshot-schema.ts";

export const LAB_EXPECTATIONS: Record<string, { verdict: TVerdictCode; rung: TRung | null }> = {
  healthy: { verdict: "healthy", rung: null },
  "stopped-clean": { verdict: "stopped-clean", rung: 4 },
  zombies: { verdict: "zombies-unreaped", rung: 0 },
  "zombies-env-de": { verdict: "zombies-unreaped", rung: 0 },
  "orphan-attached": { verdict: "orphans-attached", rung: 3 },
  "stale-pidfile": { verdict: "stale-pidfile", rung: 4 },
  "pid-reused": { verdict: "pid-reused", rung: 4 },
  "two-instances": { verdict: "healthy", rung: null },
  "two-instances-twin": { verdict: "healthy", rung: null },
  "legacy-semaphores": { verdict: "semaphores-leftover", rung: 4 },
};

/** The lab's ground truth (packages/lab's TScenarioState, or a fixture's recorded copy of it). */
export type TLabTruth = {
  postmasterPid: number | null;
  pidFilePid: number | null;
  zombiePids: number[];
  orphanPids: number[];
  stoppedPids: number[];
  unrelatedPids: number[];
  shm: { key: number; shmid: number; nattch: number } | null;
  semaphores: {
    semid: number;
    creatorPid: number;
    creatorAlive: boolean;
    kind: string;
    ours: boolean;
  }[];
  twin: { postmasterPid: number } | null;
};

const sorted = (values: readonly number[]): number[] => [...values].sort((a, b) => a - b);
const pidsOf = (items: readonly { pid: number }[]): number[] => sorted(items.map((i) => i.pid));

/** Every check of a snapshot against the lab; `isTwin` when the snapshot is of the scenario's second instance. */
export function expectSnapshotMatchesLab(
  snapshot: TSnapshot,
  lab: TLabTruth,
  options: { isTwin?: boolean } = {},
): void {
  const isTwin = options.isTwin ?? false;
  const expectedPostmaster = isTwin ? (lab.twin?.postmasterPid ?? null) : lab.postmasterPid;

  // postmaster.pid and the postmaster's genuineness.
  expect(snapshot.pidFile.pid).toBe(isTwin ? lab.twin?.postmasterPid : lab.pidFilePid);
  expect(snapshot.postmaster.genuine ? snapshot.postmaster.pid : null).toBe(expectedPostmaster);
  if (snapshot.postmaster.genuine) {
    expect(snapshot.postmaster.checks.map((c) => c.name)).toEqual([
      "exists",
      "executable",
      "cwd",
      "start time",
      "owner",
    ]);
  }

  // Zombies, orphans and stopped processes.
  if (isTwin) {
    expect(snapshot.zombies).toEqual([]);
    expect(snapshot.members.filter((m) => m.orphan)).toEqual([]);
  } else {
    expect(pidsOf(snapshot.zombies)).toEqual(sorted(lab.zombiePids));
    expect(snapshot.zombies.every((z) => z.parentIsPostmaster)).toBe(true);
    expect(pidsOf(snapshot.members.filter((m) => m.orphan))).toEqual(sorted(lab.orphanPids));
    expect(pidsOf(snapshot.members.filter((m) => m.state === "T"))).toEqual(
      sorted(lab.stoppedPids),
    );
  }

  // Never an unrelated process or the other instance as a member.
  const members = new Set(snapshot.members.map((m) => m.pid));
  for (const pid of lab.unrelatedPids) expect(members.has(pid)).toBe(false);
  const other = isTwin ? lab.postmasterPid : (lab.twin?.postmasterPid ?? null);
  if (other !== null) {
    expect(members.has(other)).toBe(false);
    expect(snapshot.foreignProcesses.map((p) => p.pid)).toContain(other);
  }
  for (const member of snapshot.members) {
    expect(member.cwd).toBe(snapshot.instance.pgdataReal);
    expect(member.uid).toBe(snapshot.instance.ownerUid);
  }

  // Only the instance's own segment is ours.
  const ours = snapshot.ipc.shm.filter((s) => s.ours);
  if (isTwin) {
    expect(ours).toHaveLength(1);
    expect(ours[0]?.shmid).not.toBe(lab.shm?.shmid);
  } else {
    expect(ours.map((s) => ({ shmid: s.shmid, key: s.key, nattch: s.nattch }))).toEqual(
      lab.shm === null ? [] : [{ shmid: lab.shm.shmid, key: lab.shm.key, nattch: lab.shm.nattch }],
    );
    for (const segment of ours) expect(segment.attachedPids).toHaveLength(segment.nattch);
  }

  // Every semaphore set classified as the lab planned it.
  for (const set of lab.semaphores) {
    const found = snapshot.ipc.sem.find((s) => s.semid === set.semid);
    expect(found, `semid ${String(set.semid)} (${set.kind})`).toBeDefined();
    expect(found?.ours, `${set.kind}: ${found?.reason ?? ""}`).toBe(set.ours);
    if (found?.magic537 === true) {
      expect(found.creatorPid).toBe(set.creatorPid);
      expect(found.creatorAlive).toBe(set.creatorAlive);
    }
  }
  expect(snapshot.ipc.sem.filter((s) => s.ours).length).toBe(
    lab.semaphores.filter((s) => s.ours).length,
  );
}
