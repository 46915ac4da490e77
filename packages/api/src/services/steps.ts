// Steps of an incident: planned from a stored diagnosis, approved against the exact script and that diagnosis,
// skipped, and the next proposal after a fresh diagnosis. Running a step: step-run.ts.
import {
  buildPlanDigestInput,
  chooseRung,
  planLadder,
  ZSnapshot,
  type TLadderPlan,
  type TLadderStep,
  type TRung,
  type TSnapshot,
} from "@pgrescue/core";
import type { Db, Prisma } from "@pgrescue/db";
import type { TActor } from "./actor.ts";
import { recordAudit } from "./audit.ts";
import { hashText, type TStoredDiagnosis } from "./diagnosis.ts";
import { findInstance, type TInstanceRow } from "./instances.ts";
import { readApprovalPolicy } from "./policy.ts";
import type { TRuntime } from "./runtime.ts";
import { notFound, ServiceError } from "./service-error.ts";
import { publishStepStatus } from "./step-events.ts";
import { loadStep, readStepRecord, stepSelect, toJson, type TStepRecord } from "./step-record.ts";

const ACTION_NAMES: Record<TRung, string> = {
  0: "first-aid",
  1: "stop-fast",
  2: "stop-immediate",
  3: "kill-and-clean",
  4: "start",
};

/** The ladder for a stored snapshot of an instance, with the console's pg_ctl timeouts. */
export function planForInstance(
  snapshot: TSnapshot,
  instance: TInstanceRow,
  runtime: TRuntime,
): TLadderPlan {
  return planLadder(snapshot, {
    pgdata: instance.dataDir,
    pgBin: instance.binDir,
    logFile: instance.logFile ?? undefined,
    stopTimeoutSec: runtime.pgCtlTimeoutSec,
    startTimeoutSec: runtime.pgCtlTimeoutSec,
  });
}

async function loadSnapshot(
  db: Db,
  snapshotId: string,
): Promise<{ id: string; materialHash: string; snapshot: TSnapshot }> {
  const row = await db.snapshot.findUnique({
    where: { id: snapshotId },
    select: { id: true, materialHash: true, parsed: true },
  });
  if (row === null) throw notFound("snapshot", snapshotId);
  return { id: row.id, materialHash: row.materialHash, snapshot: ZSnapshot.parse(row.parsed) };
}

async function latestIncidentSnapshot(
  db: Db,
  incidentId: string,
): Promise<{ id: string; materialHash: string }> {
  const latest = await db.snapshot.findFirst({
    where: { incidentId },
    orderBy: { takenAt: "desc" },
    select: { id: true, materialHash: true },
  });
  if (latest === null)
    throw new ServiceError("PRECONDITION_FAILED", `incident ${incidentId} has no diagnosis yet`);
  return latest;
}

export async function loadOpenIncident(db: Db, incidentId: string) {
  const incident = await db.incident.findUnique({
    where: { id: incidentId },
    select: { id: true, status: true, instanceId: true },
  });
  if (incident === null) throw notFound("incident", incidentId);
  if (incident.status !== "OPEN")
    throw new ServiceError("CONFLICT", `incident ${incidentId} is closed`);
  return incident;
}

/** Void every step of the incident that waits for approval or a run: a new proposal or diagnosis supersedes them. */
async function supersedeOpenSteps(
  db: Db | Prisma.TransactionClient,
  incidentId: string,
  why: string,
): Promise<void> {
  await db.step.updateMany({
    where: { incidentId, status: { in: ["PROPOSED", "APPROVED"] } },
    data: { status: "EXPIRED", error: why },
  });
}

export type TProposeInput = { incidentId: string; rung?: number; reason?: string };

/**
 * Plans a step from the incident's latest diagnosis: the recommended rung, or the operator's choice
 * (another rung than recommended needs a reason, which is recorded).
 */
export async function proposeStep(
  db: Db,
  runtime: TRuntime,
  actor: TActor,
  input: TProposeInput,
): Promise<TStepRecord> {
  const incident = await loadOpenIncident(db, input.incidentId);
  const instance = await findInstance(db, { id: incident.instanceId });
  const latest = await latestIncidentSnapshot(db, incident.id);
  const { snapshot } = await loadSnapshot(db, latest.id);
  const plan = planForInstance(snapshot, instance, runtime);
  const rung = input.rung ?? plan.recommendedRung;
  if (rung === null) {
    throw new ServiceError(
      "PRECONDITION_FAILED",
      `the latest diagnosis (${snapshot.verdict.code}) recommends no rung: ${plan.recommendationReason}`,
    );
  }
  const choice = chooseRung(plan, rung);
  if (!choice.ok)
    throw new ServiceError(
      "PRECONDITION_FAILED",
      `rung ${String(rung)} cannot run now: ${choice.refusal.reason}`,
    );
  const reason = input.reason?.trim();
  if (choice.reasonRequired && (reason === undefined || reason === "")) {
    throw new ServiceError(
      "BAD_REQUEST",
      plan.recommendedRung === null
        ? `no rung is recommended now: give a reason for running rung ${String(rung)}`
        : `rung ${String(plan.recommendedRung)} is recommended: give a reason for choosing rung ${String(rung)} instead (it is recorded)`,
    );
  }
  return createStep(db, actor, {
    incidentId: incident.id,
    instance,
    plan,
    step: choice.step,
    snapshotId: latest.id,
    materialHash: latest.materialHash,
    choiceReason: choice.reasonRequired ? reason : undefined,
  });
}

async function createStep(
  db: Db,
  actor: TActor,
  spec: {
    incidentId: string;
    instance: TInstanceRow;
    plan: TLadderPlan;
    step: TLadderStep;
    snapshotId: string;
    materialHash: string;
    /** The operator's reason for choosing another rung than recommended (or when none was). */
    choiceReason: string | undefined;
  },
): Promise<TStepRecord> {
  const { step, plan } = spec;
  if (step.script === null)
    throw new ServiceError("PRECONDITION_FAILED", `rung ${String(step.rung)} has no script`);
  const script = step.script;
  const created = await db.$transaction(async (tx) => {
    await tx.$queryRaw`SELECT id FROM "Incident" WHERE id = ${spec.incidentId} FOR UPDATE`;
    await supersedeOpenSteps(tx, spec.incidentId, "superseded by a newer proposal");
    const last = await tx.step.findFirst({
      where: { incidentId: spec.incidentId },
      orderBy: { seq: "desc" },
      select: { seq: true },
    });
    return tx.step.create({
      data: {
        incidentId: spec.incidentId,
        seq: (last?.seq ?? 0) + 1,
        rung: step.rung,
        action: ACTION_NAMES[step.rung],
        title: step.title,
        script,
        displayCommands: step.displayCommands,
        plan: toJson(step),
        commandHash: hashText(buildPlanDigestInput(plan, step.rung)),
        why: step.why,
        destroys: step.destroys,
        expectedOutcome: step.expectedOutcome,
        // A step that can run has a blockedReason exactly when the evidence says it will not work.
        blockedReason: step.blockedReason,
        plannedFromId: spec.snapshotId,
        materialHash: spec.materialHash,
        confirmationRequired: step.requiresTypedConfirmation ? spec.instance.name : null,
        requestedById: actor.id,
        choiceReason: spec.choiceReason ?? null,
      },
      select: stepSelect,
    });
  });
  await recordAudit(db, actor, {
    action: "step.propose",
    targetType: "Step",
    targetId: created.id,
    incidentId: spec.incidentId,
    details: {
      rung: created.rung,
      commandHash: created.commandHash,
      reason: spec.choiceReason ?? null,
      snapshotId: spec.snapshotId,
    },
  });
  return readStepRecord(created);
}

/** Refuses (and voids the step) when a newer diagnosis of the incident differs materially from the one the step was planned from. */
export async function requireCurrentPlan(db: Db, step: TStepRecord): Promise<void> {
  const latest = await latestIncidentSnapshot(db, step.incidentId);
  if (latest.id !== step.plannedFromId && latest.materialHash !== step.materialHash) {
    await db.step.updateMany({
      where: { id: step.id, status: { in: ["PROPOSED", "APPROVED"] } },
      data: { status: "EXPIRED", error: "a newer diagnosis differs materially" },
    });
    throw new ServiceError(
      "PRECONDITION_FAILED",
      `step ${String(step.seq)} was planned from an older diagnosis and the host has changed since: propose the step again and approve the new commands`,
    );
  }
}

async function refuseApproval(
  db: Db,
  actor: TActor,
  step: TStepRecord,
  reason: string,
  code: "FORBIDDEN" | "BAD_REQUEST" | "CONFLICT" | "PRECONDITION_FAILED",
): Promise<never> {
  await recordAudit(db, actor, {
    action: "step.approval-refused",
    targetType: "Step",
    targetId: step.id,
    incidentId: step.incidentId,
    details: { rung: step.rung, reason },
  });
  throw new ServiceError(code, reason);
}

export type TApproveInput = { stepId: string; confirm?: string };

export async function approveStep(
  db: Db,
  runtime: TRuntime,
  actor: TActor,
  input: TApproveInput,
): Promise<TStepRecord> {
  const step = await loadStep(db, input.stepId);
  await loadOpenIncident(db, step.incidentId);
  if (step.status !== "PROPOSED") {
    return refuseApproval(
      db,
      actor,
      step,
      `step ${String(step.seq)} is ${step.status.toLowerCase()}, not waiting for approval`,
      "CONFLICT",
    );
  }
  await requireCurrentPlan(db, step);
  const policy = await readApprovalPolicy(db);
  if (policy.fourEyesRungs.includes(step.rung) && step.requestedBy?.id === actor.id) {
    return refuseApproval(
      db,
      actor,
      step,
      `rung ${String(step.rung)} needs a second person: ${actor.label} requested this step and cannot also approve it`,
      "FORBIDDEN",
    );
  }
  // a confirmation is typed only where one is asked for: anything else would be stored and reported unchecked
  if (step.confirmationRequired === null && input.confirm !== undefined) {
    return refuseApproval(
      db,
      actor,
      step,
      `rung ${String(step.rung)} needs no typed confirmation: approve it without one`,
      "BAD_REQUEST",
    );
  }
  if (step.confirmationRequired !== null && input.confirm !== step.confirmationRequired) {
    return refuseApproval(
      db,
      actor,
      step,
      input.confirm === undefined
        ? `rung ${String(step.rung)} is destructive: type the instance's name (${step.confirmationRequired}) to confirm`
        : `the confirmation does not match: type the instance's name exactly (${step.confirmationRequired})`,
      "BAD_REQUEST",
    );
  }
  const ttlMs =
    policy.approvalTtlMinutes === null ? runtime.approvalTtlMs : policy.approvalTtlMinutes * 60_000;
  const now = new Date();
  const updated = await db.step.updateMany({
    where: { id: step.id, status: "PROPOSED" },
    data: {
      status: "APPROVED",
      approvedById: actor.id,
      approvedAt: now,
      approvalExpiresAt: new Date(now.getTime() + ttlMs),
      confirmation: input.confirm ?? null,
    },
  });
  if (updated.count === 0)
    return refuseApproval(
      db,
      actor,
      step,
      `step ${String(step.seq)} changed while it was being approved`,
      "CONFLICT",
    );
  await recordAudit(db, actor, {
    action: "step.approve",
    targetType: "Step",
    targetId: step.id,
    incidentId: step.incidentId,
    details: {
      rung: step.rung,
      commandHash: step.commandHash,
      materialHash: step.materialHash,
      expiresAt: new Date(now.getTime() + ttlMs).toISOString(),
    },
  });
  publishStepStatus(runtime, step, "APPROVED");
  return loadStep(db, step.id);
}

export async function skipStep(
  db: Db,
  runtime: TRuntime,
  actor: TActor,
  input: { stepId: string; reason: string },
): Promise<TStepRecord> {
  const step = await loadStep(db, input.stepId);
  const updated = await db.step.updateMany({
    where: { id: step.id, status: { in: ["PROPOSED", "APPROVED"] } },
    data: { status: "SKIPPED", skipReason: input.reason },
  });
  if (updated.count === 0)
    throw new ServiceError(
      "CONFLICT",
      `step ${String(step.seq)} is ${step.status.toLowerCase()} and cannot be skipped`,
    );
  await recordAudit(db, actor, {
    action: "step.skip",
    targetType: "Step",
    targetId: step.id,
    incidentId: step.incidentId,
    details: { rung: step.rung, reason: input.reason },
  });
  publishStepStatus(runtime, step, "SKIPPED");
  return loadStep(db, step.id);
}

/** The approval is for exactly this text: re-plan from the stored diagnosis and compare script and digest. */
export async function verifyApprovedText(
  db: Db,
  runtime: TRuntime,
  step: TStepRecord,
  instance: TInstanceRow,
): Promise<TLadderStep> {
  const { snapshot } = await loadSnapshot(db, step.plannedFromId);
  const plan = planForInstance(snapshot, instance, runtime);
  const planned = plan.steps.find((candidate) => candidate.rung === step.rung);
  if (
    planned?.script !== step.script ||
    hashText(buildPlanDigestInput(plan, planned.rung)) !== step.commandHash
  ) {
    throw new ServiceError(
      "PRECONDITION_FAILED",
      `step ${String(step.seq)}'s stored commands no longer match what was approved: nothing was run`,
    );
  }
  return planned;
}

/** Proposes the recommended rung of a fresh diagnosis (if any) and voids older open steps. */
export async function proposeNext(
  db: Db,
  runtime: TRuntime,
  actor: TActor,
  incidentId: string,
  instance: TInstanceRow,
  diagnosis: Pick<TStoredDiagnosis, "snapshotId" | "materialHash" | "snapshot">,
): Promise<TStepRecord | null> {
  const plan = planForInstance(diagnosis.snapshot, instance, runtime);
  const recommended = plan.steps.find(
    (candidate) => candidate.recommended && candidate.applicable && candidate.script !== null,
  );
  if (recommended === undefined) {
    await supersedeOpenSteps(db, incidentId, "a newer diagnosis recommends no further step");
    return null;
  }
  return createStep(db, actor, {
    incidentId,
    instance,
    plan,
    step: recommended,
    snapshotId: diagnosis.snapshotId,
    materialHash: diagnosis.materialHash,
    choiceReason: undefined,
  });
}
