// Plain-text rendering of a Snapshot for terminals and reports: what a DBA reads first, in that order.
import { formatEpoch } from "./identify.ts";
import type { TSnapshot } from "./snapshot-schema.ts";

const RUNG_NAMES = ["first aid", "fast stop", "immediate stop", "kill + IPC cleanup", "start"];

export function describeRung(rung: number | null): string {
  if (rung === null) return "none";
  return `${String(rung)} (${RUNG_NAMES[rung] ?? "unknown"})`;
}

/** A readable multi-line report; `snapshot` is trusted to be diagnose()'s output. */
export function formatSnapshotReport(snapshot: TSnapshot): string {
  const lines: string[] = [];
  const { verdict, recommendation, postmaster, pidFile, instance, host } = snapshot;
  lines.push(`Verdict: ${verdict.code} — ${verdict.title}`);
  lines.push(
    `Instance: ${instance.pgdata}${instance.pgVersion === null ? "" : ` (PostgreSQL ${instance.pgVersion})`}` +
      ` on ${host.hostname ?? "?"} as ${host.user ?? "?"}`,
  );
  for (const item of verdict.evidence) lines.push(`  - ${item}`);

  lines.push(
    "",
    `Recommended rung: ${describeRung(recommendation.rung)}`,
    `  ${recommendation.reason}`,
  );
  for (const caution of recommendation.cautions) lines.push(`  ! ${caution}`);

  lines.push("", "postmaster.pid:");
  if (pidFile.exists === "yes") {
    lines.push(
      `  pid ${String(pidFile.pid ?? "?")}, started ${formatEpoch(pidFile.startTime)}, port ${String(pidFile.port ?? "?")}, ` +
        `shm key ${pidFile.shmKeyHex ?? "?"} id ${String(pidFile.shmId ?? "?")}, status ${pidFile.status ?? "?"}`,
    );
  } else {
    lines.push(pidFile.exists === "no" ? "  absent" : "  could not be read");
  }
  for (const error of pidFile.errors) lines.push(`  ! ${error}`);

  lines.push(
    "",
    `Postmaster: ${postmaster.pid === null ? "none" : String(postmaster.pid)} state ${postmaster.state}` +
      `${postmaster.wchan === null ? "" : ` wchan ${postmaster.wchan}`} — ${postmaster.genuine ? "genuine" : "NOT genuine"}`,
  );
  for (const check of postmaster.checks) {
    lines.push(`  [${check.ok ? "ok" : "!!"}] ${check.name}: ${check.detail}`);
  }

  lines.push("", `Members (${String(snapshot.members.length)}):`);
  for (const member of snapshot.members) {
    const flags = [
      member.isPostmaster ? "postmaster" : null,
      member.orphan ? "ORPHAN" : null,
      member.attachedShm ? "shm-attached" : null,
    ].filter((flag): flag is string => flag !== null);
    lines.push(
      `  ${String(member.pid).padStart(7)} ppid ${String(member.ppid).padStart(7)} ${member.state.padEnd(2)} ` +
        `${member.role.padEnd(18)} ${member.wchan ?? "-"}${flags.length > 0 ? `  [${flags.join(", ")}]` : ""}`,
    );
  }

  if (snapshot.zombies.length > 0) {
    lines.push("", `Zombies (${String(snapshot.zombies.length)}):`);
    for (const zombie of snapshot.zombies) {
      lines.push(
        `  ${String(zombie.pid).padStart(7)} parent ${String(zombie.ppid)}${zombie.parentIsPostmaster ? " (the postmaster)" : ""} ${zombie.comm}`,
      );
    }
  }

  lines.push("", "SysV shared memory:");
  if (snapshot.ipc.shm.length === 0) lines.push("  none relevant");
  for (const shm of snapshot.ipc.shm) {
    lines.push(
      `  key ${shm.keyHex} shmid ${String(shm.shmid)} uid ${String(shm.ownerUid)} nattch ${String(shm.nattch)}` +
        `${shm.attachedPids.length > 0 ? ` attached ${shm.attachedPids.join(",")}` : ""} — ${shm.ours ? "OURS" : "not ours"}: ${shm.reason}`,
    );
  }
  lines.push("SysV semaphores:");
  if (snapshot.ipc.sem.length === 0) lines.push("  none relevant");
  for (const sem of snapshot.ipc.sem) {
    lines.push(
      `  key ${sem.keyHex} semid ${String(sem.semid)} uid ${String(sem.ownerUid)} nsems ${String(sem.nsems)}` +
        ` — ${sem.ours ? "OURS" : "not ours"}: ${sem.reason}`,
    );
  }
  if (snapshot.dsm.length > 0) {
    lines.push("/dev/shm:");
    for (const dsm of snapshot.dsm) {
      lines.push(
        `  ${dsm.name} uid ${String(dsm.ownerUid)} — ${dsm.ours ? "OURS" : "not ours"}: ${dsm.reason}`,
      );
    }
  }

  const ready = snapshot.connectivity.pgIsReady;
  lines.push("", `pg_isready: ${ready.meaning}${ready.output === "" ? "" : ` (${ready.output})`}`);
  lines.push(
    `Cluster state (${snapshot.controlData.source}): ${snapshot.controlData.clusterState ?? "unknown"}`,
  );

  if (snapshot.log.tail.length > 0) {
    lines.push(
      "",
      `Server log ${snapshot.log.file ?? ""} (last ${String(Math.min(10, snapshot.log.tail.length))} lines):`,
    );
    for (const line of snapshot.log.tail.slice(-10)) lines.push(`  ${line}`);
  }
  if (snapshot.warnings.length > 0) {
    lines.push("", "Warnings:");
    for (const warning of snapshot.warnings) lines.push(`  ! ${warning}`);
  }
  return `${lines.join("\n")}\n`;
}
