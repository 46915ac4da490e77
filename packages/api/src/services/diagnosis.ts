// Diagnosis of a stored instance: the one-exec probe over the host's pinned connection, stored as a Snapshot with its material hash.
import { createHash } from "node:crypto";
import {
  canonicalMaterialFacts,
  diffSnapshots,
  ZSnapshot,
  type TSnapshot,
  type TSnapshotChange,
} from "@pgrescue/core";
import type { TDb } from "@pgrescue/db";
import { diagnoseOverSsh } from "@pgrescue/remote";
import type { TActor } from "./actor.ts";
import { recordAudit } from "./audit.ts";
import { loadHostTarget, withHost } from "./host-target.ts";
import type { TInstanceRow } from "./instances.ts";
import type { TRuntime } from "./runtime.ts";
import { notFound } from "./service-error.ts";

export type TStoredDiagnosis = {
  snapshotId: string;
  takenAt: Date;
  snapshot: TSnapshot;
  materialHash: string;
  timings: { totalMs: number; execMs: number; parseMs: number };
  sshExecs: number;
};

export function hashText(text: string): string {
  return createHash("sha256").update(text).digest("hex");
}

export function hashMaterialFacts(snapshot: TSnapshot): string {
  return hashText(canonicalMaterialFacts(snapshot));
}

export async function diagnoseInstance(
  db: TDb,
  runtime: TRuntime,
  actor: TActor,
  instance: TInstanceRow,
  incidentId?: string,
): Promise<TStoredDiagnosis> {
  const { host, target } = await loadHostTarget(db, runtime, instance.hostId);
  const run = await withHost(db, actor, host, () =>
    diagnoseOverSsh(runtime.pool, target, {
      pgdata: instance.dataDir,
      pgBin: instance.binDir ?? undefined,
      logFile: instance.logFile ?? undefined,
    }),
  );
  const materialHash = hashMaterialFacts(run.snapshot);
  const stored = await db.snapshot.create({
    data: {
      instanceId: instance.id,
      incidentId: incidentId ?? null,
      takenById: actor.id,
      probeVersion: run.snapshot.probeVersion,
      rawStdout: run.raw.stdout,
      rawStderr: run.raw.stderr,
      exitCode: run.raw.exitCode,
      parsed: JSON.parse(JSON.stringify(run.snapshot)) as object,
      verdict: run.snapshot.verdict.code,
      evidence: run.snapshot.verdict.evidence,
      recommendedRung: run.snapshot.recommendation.rung,
      materialHash,
      durationMs: Math.round(run.timings.totalMs),
      timings: run.timings,
      sshExecs: run.sshExecs,
    },
    select: { id: true, takenAt: true },
  });
  await recordAudit(db, actor, {
    action: "diagnosis.run",
    targetType: "Instance",
    targetId: instance.id,
    incidentId,
    details: {
      snapshotId: stored.id,
      verdict: run.snapshot.verdict.code,
      rung: run.snapshot.recommendation.rung,
      totalMs: run.timings.totalMs,
    },
  });
  if (incidentId !== undefined) {
    runtime.bus.publish({
      kind: "snapshot",
      incidentId,
      snapshotId: stored.id,
      verdict: run.snapshot.verdict.code,
    });
  }
  return {
    snapshotId: stored.id,
    takenAt: stored.takenAt,
    snapshot: run.snapshot,
    materialHash,
    timings: run.timings,
    sshExecs: run.sshExecs,
  };
}

/** A stored diagnosis as the UI shows it again later; the probe's raw output only when asked for (it can be large). */
export async function getStoredDiagnosis(db: TDb, snapshotId: string, includeRaw: boolean) {
  const row = await db.snapshot.findUnique({
    where: { id: snapshotId },
    select: {
      id: true,
      instanceId: true,
      incidentId: true,
      takenAt: true,
      takenBy: { select: { id: true, email: true } },
      parsed: true,
      materialHash: true,
      durationMs: true,
      sshExecs: true,
      exitCode: true,
    },
  });
  if (row === null) throw notFound("snapshot", snapshotId);
  const raw = includeRaw
    ? await db.snapshot.findUniqueOrThrow({
        where: { id: snapshotId },
        select: { rawStdout: true, rawStderr: true },
      })
    : null;
  return {
    snapshotId: row.id,
    instanceId: row.instanceId,
    incidentId: row.incidentId,
    takenAt: row.takenAt,
    takenBy: row.takenBy,
    snapshot: ZSnapshot.parse(row.parsed),
    materialHash: row.materialHash,
    durationMs: row.durationMs,
    sshExecs: row.sshExecs,
    raw:
      raw === null
        ? null
        : { stdout: raw.rawStdout, stderr: raw.rawStderr, exitCode: row.exitCode },
  };
}

/**
 * What changed between a stored diagnosis and the one of the same instance just before it
 * (null previous when it is the first).
 */
export async function getChangesSincePrevious(
  db: TDb,
  snapshotId: string,
): Promise<{
  previous: { snapshotId: string; takenAt: Date; verdict: string } | null;
  changes: TSnapshotChange[];
}> {
  const current = await db.snapshot.findUnique({
    where: { id: snapshotId },
    select: { id: true, instanceId: true, takenAt: true, parsed: true },
  });
  if (current === null) throw notFound("snapshot", snapshotId);
  const previous = await db.snapshot.findFirst({
    where: {
      instanceId: current.instanceId,
      OR: [
        { takenAt: { lt: current.takenAt } },
        { takenAt: current.takenAt, id: { lt: current.id } },
      ],
    },
    orderBy: [{ takenAt: "desc" }, { id: "desc" }],
    select: { id: true, takenAt: true, verdict: true, parsed: true },
  });
  if (previous === null) return { previous: null, changes: [] };
  return {
    previous: { snapshotId: previous.id, takenAt: previous.takenAt, verdict: previous.verdict },
    changes: diffSnapshots(ZSnapshot.parse(previous.parsed), ZSnapshot.parse(current.parsed)),
  };
}
