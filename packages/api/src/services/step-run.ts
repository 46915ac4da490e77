// Running an approved step: RUNNING stored (one per incident) before anything is sent, the script over SSH with its
// output stored as it arrives, the outcome recorded, then a fresh diagnosis and the next proposal.
import { Prisma, type TDb } from "@pgrescue/db";
import { runActionOverSsh, toRunnableAction, type TActionRun } from "@pgrescue/remote";
import type { TActor } from "./actor.ts";
import { recordAudit } from "./audit.ts";
import { diagnoseInstance } from "./diagnosis.ts";
import { loadHostTarget, withHost } from "./host-target.ts";
import { findInstance, type TInstanceRow } from "./instances.ts";
import type { TRuntime } from "./runtime.ts";
import { ServiceError } from "./service-error.ts";
import { createOutputWriter, publishStepStatus, type TOutputWriter } from "./step-events.ts";
import { loadStep, toJson, type TStepRecord } from "./step-record.ts";
import { describeFinishedStep, describeRunFailure, type TActionRunEnd } from "./step-status.ts";
import { loadOpenIncident, proposeNext, requireCurrentPlan, verifyApprovedText } from "./steps.ts";

export type TRunOutcome = {
  step: TStepRecord;
  snapshotId: string | null;
  verdict: string | null;
  nextStep: TStepRecord | null;
};

/**
 * Runs an approved step. The step is stored as RUNNING before its script is sent; output chunks are stored as
 * they arrive; then the exit code and parsed report, a fresh diagnosis, and the next proposed step.
 */
export async function runStep(
  db: TDb,
  runtime: TRuntime,
  actor: TActor,
  input: { stepId: string },
): Promise<TRunOutcome> {
  const step = await loadStep(db, input.stepId);
  const incident = await loadOpenIncident(db, step.incidentId);
  const instance = await findInstance(db, { id: incident.instanceId });
  await requireUnexpiredApproval(db, runtime, step);
  await requireCurrentPlan(db, step);
  const planned = await verifyApprovedText(db, runtime, step, instance);
  const action = toRunnableAction(planned);
  if (action === null) {
    throw new ServiceError(
      "PRECONDITION_FAILED",
      `rung ${String(step.rung)} cannot run now: ${planned.blockedReason ?? "the plan gives it no script"}`,
    );
  }
  const { host, target } = await loadHostTarget(db, runtime, instance.hostId);
  await markRunning(db, step, planned.evidenceToCapture);
  await recordAudit(db, actor, {
    action: "step.run",
    targetType: "Step",
    targetId: step.id,
    incidentId: step.incidentId,
    details: { rung: step.rung, commandHash: step.commandHash },
  });
  publishStepStatus(runtime, step, "RUNNING");

  const output = createOutputWriter(db, runtime, step);
  const end = await settleRun(output, () =>
    withHost(db, actor, host, () =>
      runActionOverSsh(runtime.pool, target, action, {
        onStdout: ({ text }) => {
          output.write("STDOUT", text);
        },
        onStderr: ({ text }) => {
          output.write("STDERR", text);
        },
      }),
    ),
  );
  await output.flushed();
  const finished = describeFinishedStep(end);
  await db.step.update({
    where: { id: step.id },
    data: {
      status: finished.status,
      finishedAt: new Date(),
      exitCode: finished.exitCode,
      result: toJson(finished.result),
      error: finished.error,
    },
    select: { id: true },
  });
  await recordAudit(db, actor, {
    action: "step.finish",
    targetType: "Step",
    targetId: step.id,
    incidentId: step.incidentId,
    details: { rung: step.rung, status: finished.status, exitCode: finished.exitCode },
  });
  publishStepStatus(runtime, step, finished.status);
  runtime.logger
    .child({ stepId: step.id, incidentId: step.incidentId })
    .info(
      { rung: step.rung, status: finished.status, exitCode: finished.exitCode },
      "step finished",
    );

  const next = await rediagnoseAfter(db, runtime, actor, step, instance, output);
  return { step: await loadStep(db, step.id), ...next };
}

/** An approval is valid until its expiry; an expired one voids the step. */
async function requireUnexpiredApproval(
  db: TDb,
  runtime: TRuntime,
  step: TStepRecord,
): Promise<void> {
  if (step.status !== "APPROVED") {
    throw new ServiceError(
      "PRECONDITION_FAILED",
      `step ${String(step.seq)} is ${step.status.toLowerCase()}: only an approved step runs`,
    );
  }
  if (step.approvalExpiresAt !== null && step.approvalExpiresAt.getTime() > Date.now()) return;
  await db.step.updateMany({
    where: { id: step.id, status: "APPROVED" },
    data: { status: "EXPIRED", error: "the approval expired before the step ran" },
  });
  publishStepStatus(runtime, step, "EXPIRED");
  throw new ServiceError(
    "PRECONDITION_FAILED",
    `the approval of step ${String(step.seq)} expired at ${step.approvalExpiresAt?.toISOString() ?? "?"}: propose and approve it again`,
  );
}

/** RUNNING is stored before anything is sent, with the evidence the step may destroy, and only one step per incident may hold it. */
async function markRunning(
  db: TDb,
  step: TStepRecord,
  evidence: TStepRecord["evidence"],
): Promise<void> {
  const started = await db.$transaction(async (tx) => {
    await tx.$queryRaw`SELECT id FROM "Incident" WHERE id = ${step.incidentId} FOR UPDATE`;
    const running = await tx.step.count({
      where: { incidentId: step.incidentId, status: "RUNNING" },
    });
    if (running > 0) return 0;
    const result = await tx.step.updateMany({
      where: { id: step.id, status: "APPROVED" },
      data: {
        status: "RUNNING",
        startedAt: new Date(),
        evidence: evidence === null ? Prisma.DbNull : toJson(evidence),
      },
    });
    return result.count;
  });
  if (started === 0)
    throw new ServiceError(
      "CONFLICT",
      `step ${String(step.seq)} is already running or another step of this incident is`,
    );
}

/** A run that ends without the script's answer (connection, timeout) is described in the output, not thrown. */
async function settleRun(
  output: TOutputWriter,
  run: () => Promise<TActionRun>,
): Promise<TActionRunEnd> {
  try {
    const result = await run();
    return { kind: "exited", exitCode: result.exitCode, report: result.report };
  } catch (error) {
    const failure = describeRunFailure(error);
    output.write("SYSTEM", `${failure}\n`);
    return { kind: "failed", failure };
  }
}

/** After every step: a fresh diagnosis, stored, and the next rung proposed. A failure here is written to the step's output. */
async function rediagnoseAfter(
  db: TDb,
  runtime: TRuntime,
  actor: TActor,
  step: TStepRecord,
  instance: TInstanceRow,
  output: TOutputWriter,
): Promise<Omit<TRunOutcome, "step">> {
  let diagnosis: Awaited<ReturnType<typeof diagnoseInstance>> | null = null;
  let nextStep: TStepRecord | null = null;
  try {
    diagnosis = await diagnoseInstance(db, runtime, actor, instance, step.incidentId);
    await db.step.update({
      where: { id: step.id },
      data: { resultSnapshotId: diagnosis.snapshotId },
      select: { id: true },
    });
    nextStep = await proposeNext(db, runtime, actor, step.incidentId, instance, diagnosis);
  } catch (error) {
    output.write(
      "SYSTEM",
      `re-diagnosis failed: ${error instanceof Error ? error.message : String(error)}\n`,
    );
    await output.flushed();
  }
  return {
    snapshotId: diagnosis?.snapshotId ?? null,
    verdict: diagnosis?.snapshot.verdict.code ?? null,
    nextStep,
  };
}
