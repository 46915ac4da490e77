// The CLI's JSON document for one diagnosis: the documented summary fields first, the full snapshot after them.
import type { TDiagnosisRun } from "@pgrescue/remote";

export function toDiagnosisJson(
  run: TDiagnosisRun,
  target: { username: string; host: string; port: number },
) {
  const { snapshot } = run;
  return {
    verdict: snapshot.verdict.code,
    title: snapshot.verdict.title,
    evidence: snapshot.verdict.evidence,
    target: { ...target, hostKey: run.hostKey.fingerprint, hostKeyStatus: run.hostKeyStatus },
    postmaster: {
      pid: snapshot.postmaster.pid,
      state: snapshot.postmaster.state,
      genuine: snapshot.postmaster.genuine,
      checks: snapshot.postmaster.checks,
    },
    members: snapshot.members.map((member) => ({
      pid: member.pid,
      ppid: member.ppid,
      state: member.state,
      wchan: member.wchan,
      role: member.role,
      orphan: member.orphan,
      attachedShm: member.attachedShm,
      isPostmaster: member.isPostmaster,
      startTicks: member.startTicks,
    })),
    zombies: snapshot.zombies.map((zombie) => ({
      pid: zombie.pid,
      ppid: zombie.ppid,
      parentIsPostmaster: zombie.parentIsPostmaster,
    })),
    ipc: {
      shm: snapshot.ipc.shm.map((shm) => ({
        key: shm.key,
        keyHex: shm.keyHex,
        shmid: shm.shmid,
        ownerUid: shm.ownerUid,
        nattch: shm.nattch,
        attachedPids: shm.attachedPids,
        ours: shm.ours,
        reason: shm.reason,
      })),
      sem: snapshot.ipc.sem.map((sem) => ({
        key: sem.key,
        keyHex: sem.keyHex,
        semid: sem.semid,
        ownerUid: sem.ownerUid,
        creatorPid: sem.creatorPid,
        ours: sem.ours,
        reason: sem.reason,
      })),
    },
    connectivity: snapshot.connectivity.pgIsReady.meaning,
    recommendation: snapshot.recommendation,
    timings: run.timings,
    sshExecs: run.sshExecs,
    snapshot,
  };
}
