// The evidence a state-changing rung destroys, taken from the diagnosis it was planned from.
import type { TSnapshot } from "../diagnosis/snapshot-schema.ts";
import type { TEvidence } from "./ladder-schema.ts";

/**
 * Everything a post-mortem needs that a stop, kill or start makes disappear: process states and
 * wait channels, zombies, attachments, IPC, what pg_isready said, the cluster state and the
 * server-log tail. Plain JSON; the server stores it in the incident before the step runs.
 */
export function captureEvidence(snapshot: TSnapshot): TEvidence {
  return {
    capturedFrom: {
      verdict: snapshot.verdict.code,
      recommendedRung: snapshot.recommendation.rung,
      hostname: snapshot.host.hostname,
      probedAt: snapshot.host.now,
    },
    pidFile: {
      exists: snapshot.pidFile.exists,
      raw: [...snapshot.pidFile.raw],
      mtime: snapshot.pidFile.mtime,
    },
    postmaster: {
      pid: snapshot.postmaster.pid,
      state: snapshot.postmaster.state,
      wchan: snapshot.postmaster.wchan,
      startTicks: snapshot.postmaster.startTicks,
      genuine: snapshot.postmaster.genuine,
      checks: snapshot.postmaster.checks.map(
        (c) => `${c.ok ? "ok" : "failed"} ${c.name}: ${c.detail}`,
      ),
    },
    processes: snapshot.members.map((m) => ({
      pid: m.pid,
      ppid: m.ppid,
      role: m.role,
      state: m.state,
      wchan: m.wchan,
      startTicks: m.startTicks,
      orphan: m.orphan,
      attachedShm: m.attachedShm,
      title: m.title,
    })),
    zombies: snapshot.zombies.map((z) => ({
      pid: z.pid,
      ppid: z.ppid,
      startTicks: z.startTicks,
      comm: z.comm,
    })),
    ipc: {
      shm: snapshot.ipc.shm.map((s) => ({
        shmid: s.shmid,
        keyHex: s.keyHex,
        nattch: s.nattch,
        attachedPids: [...s.attachedPids],
        ours: s.ours,
      })),
      sem: snapshot.ipc.sem.map((s) => ({
        semid: s.semid,
        keyHex: s.keyHex,
        creatorPid: s.creatorPid,
        creatorAlive: s.creatorAlive,
        ours: s.ours,
      })),
      dsm: snapshot.dsm.map((d) => ({ name: d.name, mappedBy: [...d.mappedBy], ours: d.ours })),
    },
    pgIsReady: {
      meaning: snapshot.connectivity.pgIsReady.meaning,
      exitCode: snapshot.connectivity.pgIsReady.exitCode,
      output: snapshot.connectivity.pgIsReady.output,
    },
    controlData: {
      source: snapshot.controlData.source,
      clusterState: snapshot.controlData.clusterState,
      latestCheckpointLocation: snapshot.controlData.latestCheckpointLocation,
      latestCheckpointTime: snapshot.controlData.latestCheckpointTime,
      timeline: snapshot.controlData.timeline,
    },
    log: {
      file: snapshot.log.file,
      tail: [...snapshot.log.tail],
      notable: [...snapshot.log.notable],
    },
    warnings: [...snapshot.warnings],
  };
}
