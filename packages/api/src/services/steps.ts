// Steps of an incident: planned from a stored diagnosis, approved against the exact script and that diagnosis,
// run with output stored as it arrives, followed by a fresh diagnosis and the next proposal.
import {
  ACTION_EXIT,
  buildPlanDigestInput,
  chooseRung,
  isNothingChangedExit,
  parseActionOutput,
  planLadder,
  ZSnapshot,
  type TLadderPlan,
  type TLadderStep,
  type TRung,
  type TSnapshot,
} from "@pgrescue/core";
import { Prisma, type Db, type StepStatus } from "@pgrescue/db";
import { RemoteError } from "@pgrescue/remote";
import type { TActor } from "./actor.ts";
import { recordAudit } from "./audit.ts";
import { diagnoseInstance, hashText, type TStoredDiagnosis } from "./diagnosis.ts";
import { loadHostTarget, withHost } from "./hosts.ts";
import { findInstance, type TInstanceRow } from "./instances.ts";
import { readApprovalPolicy } from "./policy.ts";
import type { TRuntime } from "./runtime.ts";
import { notFound, ServiceError } from "./service-error.ts";

const ACTION_NAMES: Record<TRung, string> = {
  0: "first-aid",
  1: "stop-fast",
  2: "stop-immediate",
  3: "kill-and-clean",
  4: "start",
};

export const stepSelect = {
  id: true,
  incidentId: true,
  seq: true,
  rung: true,
  action: true,
  title: true,
  commands: true,
  displayCommands: true,
  commandHash: true,
  rationale: true,
  destroys: true,
  expected: true,
  futility: true,
  status: true,
  plannedFromId: true,
  snapshotHash: true,
  confirmationRequired: true,
  requestedBy: { select: { id: true, email: true } },
  approvedBy: { select: { id: true, email: true } },
  approvedAt: true,
  approvalExpiresAt: true,
  confirmation: true,
  skipReason: true,
  evidence: true,
  plan: true,
  result: true,
  startedAt: true,
  finishedAt: true,
  exitCode: true,
  error: true,
  resultSnapshotId: true,
  createdAt: true,
} satisfies Prisma.StepSelect;

export type TStepRow = Prisma.StepGetPayload<{ select: typeof stepSelect }>;

function toJson(value: unknown): Prisma.InputJsonValue {
  return JSON.parse(JSON.stringify(value)) as Prisma.InputJsonValue;
}

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

async function loadStep(db: Db, stepId: string): Promise<TStepRow> {
  const step = await db.step.findUnique({ where: { id: stepId }, select: stepSelect });
  if (step === null) throw notFound("step", stepId);
  return step;
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
): Promise<TStepRow> {
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
    reason: choice.reasonRequired ? reason : undefined,
    warning: choice.warning,
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
    reason: string | undefined;
    warning: string | null;
  },
): Promise<TStepRow> {
  const { step, plan } = spec;
  if (step.script === null)
    throw new ServiceError("PRECONDITION_FAILED", `rung ${String(step.rung)} has no script`);
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
        commands: step.script ?? "",
        displayCommands: step.displayCommands,
        plan: toJson(step),
        commandHash: hashText(buildPlanDigestInput(plan, step.rung)),
        rationale: step.why,
        destroys: step.destroys.join("\n"),
        expected: step.expectedOutcome,
        futility: spec.warning,
        plannedFromId: spec.snapshotId,
        snapshotHash: spec.materialHash,
        confirmationRequired: step.requiresTypedConfirmation ? spec.instance.name : null,
        requestedById: actor.id,
        skipReason: spec.reason ?? null,
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
      reason: spec.reason ?? null,
      snapshotId: spec.snapshotId,
    },
  });
  return created;
}

/** Refuses (and voids the step) when a newer diagnosis of the incident differs materially from the one the step was planned from. */
async function requireCurrentPlan(db: Db, step: TStepRow): Promise<void> {
  const latest = await latestIncidentSnapshot(db, step.incidentId);
  if (latest.id !== step.plannedFromId && latest.materialHash !== step.snapshotHash) {
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
  step: TStepRow,
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
): Promise<TStepRow> {
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
      snapshotHash: step.snapshotHash,
      expiresAt: new Date(now.getTime() + ttlMs).toISOString(),
    },
  });
  runtime.bus.publish({
    kind: "step",
    incidentId: step.incidentId,
    stepId: step.id,
    status: "APPROVED",
  });
  return loadStep(db, step.id);
}

export async function skipStep(
  db: Db,
  runtime: TRuntime,
  actor: TActor,
  input: { stepId: string; reason: string },
): Promise<TStepRow> {
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
  runtime.bus.publish({
    kind: "step",
    incidentId: step.incidentId,
    stepId: step.id,
    status: "SKIPPED",
  });
  return loadStep(db, step.id);
}

/** The approval is for exactly this text: re-plan from the stored diagnosis and compare script and digest. */
async function verifyApprovedText(
  db: Db,
  runtime: TRuntime,
  step: TStepRow,
  instance: TInstanceRow,
): Promise<TLadderStep> {
  const { snapshot } = await loadSnapshot(db, step.plannedFromId);
  const plan = planForInstance(snapshot, instance, runtime);
  const planned = plan.steps.find((candidate) => candidate.rung === step.rung);
  if (
    planned?.script !== step.commands ||
    hashText(buildPlanDigestInput(plan, planned.rung)) !== step.commandHash
  ) {
    throw new ServiceError(
      "PRECONDITION_FAILED",
      `step ${String(step.seq)}'s stored commands no longer match what was approved: nothing was run`,
    );
  }
  return planned;
}

export type TRunOutcome = {
  step: TStepRow;
  snapshotId: string | null;
  verdict: string | null;
  nextStep: TStepRow | null;
};

/**
 * Runs an approved step. The step is stored as RUNNING before its script is sent; output chunks are stored as
 * they arrive; then the exit code and parsed report, a fresh diagnosis, and the next proposed step.
 */
export async function runStep(
  db: Db,
  runtime: TRuntime,
  actor: TActor,
  input: { stepId: string },
): Promise<TRunOutcome> {
  const step = await loadStep(db, input.stepId);
  const incident = await loadOpenIncident(db, step.incidentId);
  const instance = await findInstance(db, { id: incident.instanceId });
  if (step.status !== "APPROVED") {
    throw new ServiceError(
      "PRECONDITION_FAILED",
      `step ${String(step.seq)} is ${step.status.toLowerCase()}: only an approved step runs`,
    );
  }
  if (step.approvalExpiresAt === null || step.approvalExpiresAt.getTime() <= Date.now()) {
    await db.step.updateMany({
      where: { id: step.id, status: "APPROVED" },
      data: { status: "EXPIRED", error: "the approval expired before the step ran" },
    });
    runtime.bus.publish({
      kind: "step",
      incidentId: step.incidentId,
      stepId: step.id,
      status: "EXPIRED",
    });
    throw new ServiceError(
      "PRECONDITION_FAILED",
      `the approval of step ${String(step.seq)} expired at ${step.approvalExpiresAt?.toISOString() ?? "?"}: propose and approve it again`,
    );
  }
  await requireCurrentPlan(db, step);
  const planned = await verifyApprovedText(db, runtime, step, instance);
  const { host, target } = await loadHostTarget(db, runtime, instance.hostId);

  // RUNNING is stored before anything is sent, and only one step per incident may hold it.
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
        evidence:
          planned.evidenceToCapture === null ? Prisma.DbNull : toJson(planned.evidenceToCapture),
      },
    });
    return result.count;
  });
  if (started === 0)
    throw new ServiceError(
      "CONFLICT",
      `step ${String(step.seq)} is already running or another step of this incident is`,
    );
  await recordAudit(db, actor, {
    action: "step.run",
    targetType: "Step",
    targetId: step.id,
    incidentId: step.incidentId,
    details: { rung: step.rung, commandHash: step.commandHash },
  });
  runtime.bus.publish({
    kind: "step",
    incidentId: step.incidentId,
    stepId: step.id,
    status: "RUNNING",
  });

  const output = createOutputWriter(db, runtime, step);
  let exitCode: number | null = null;
  let stdout = "";
  let failure: string | null = null;
  try {
    const result = await withHost(db, actor, host, () =>
      runtime.pool.run(target, planned.invocation?.command ?? "/bin/sh -s", {
        stdin: step.commands,
        timeoutMs: ((planned.invocation?.timeoutSec ?? 120) + 15) * 1000,
        onStdout: ({ text }) => {
          output.write("STDOUT", text);
        },
        onStderr: ({ text }) => {
          output.write("STDERR", text);
        },
      }),
    );
    exitCode = result.exitCode;
    stdout = result.stdout;
  } catch (error) {
    failure =
      error instanceof RemoteError
        ? `${error.code}: ${error.message}`
        : error instanceof Error
          ? error.message
          : String(error);
    output.write("SYSTEM", `${failure}\n`);
  }
  await output.flushed();

  const report = parseActionOutput(stdout);
  const status: StepStatus =
    failure !== null
      ? "FAILED"
      : exitCode === ACTION_EXIT.ok
        ? "SUCCEEDED"
        : isNothingChangedExit(exitCode)
          ? "REFUSED"
          : "FAILED";
  const problems = [
    ...report.refusals.map((r) => r.message ?? r.reason),
    ...report.unable.map((r) => r.message ?? r.reason),
    ...report.errors,
  ];
  await db.step.update({
    where: { id: step.id },
    data: {
      status,
      finishedAt: new Date(),
      exitCode,
      result: toJson(report),
      error:
        failure ??
        (status === "SUCCEEDED" ? null : problems.join("\n") || `exit code ${String(exitCode)}`),
    },
    select: { id: true },
  });
  await recordAudit(db, actor, {
    action: "step.finish",
    targetType: "Step",
    targetId: step.id,
    incidentId: step.incidentId,
    details: { rung: step.rung, status, exitCode },
  });
  runtime.bus.publish({ kind: "step", incidentId: step.incidentId, stepId: step.id, status });

  // After every step: a fresh diagnosis, stored, and the next rung proposed.
  let diagnosis: Awaited<ReturnType<typeof diagnoseInstance>> | null = null;
  let nextStep: TStepRow | null = null;
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
    step: await loadStep(db, step.id),
    snapshotId: diagnosis?.snapshotId ?? null,
    verdict: diagnosis?.snapshot.verdict.code ?? null,
    nextStep,
  };
}

/** Proposes the recommended rung of a fresh diagnosis (if any) and voids older open steps. */
export async function proposeNext(
  db: Db,
  runtime: TRuntime,
  actor: TActor,
  incidentId: string,
  instance: TInstanceRow,
  diagnosis: Pick<TStoredDiagnosis, "snapshotId" | "materialHash" | "snapshot">,
): Promise<TStepRow | null> {
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
    reason: undefined,
    warning: recommended.expectedToFail ? recommended.blockedReason : null,
  });
}

/** Output chunks are written strictly in arrival order (one chain of inserts) and published live. */
function createOutputWriter(db: Db, runtime: TRuntime, step: TStepRow) {
  let seq = 0;
  let chain: Promise<void> = Promise.resolve();
  return {
    write(stream: "STDOUT" | "STDERR" | "SYSTEM", data: string): void {
      seq += 1;
      const chunkSeq = seq;
      chain = chain.then(async () => {
        await db.stepOutput.create({
          data: { stepId: step.id, seq: chunkSeq, stream, data },
          select: { id: true },
        });
        runtime.bus.publish({
          kind: "output",
          incidentId: step.incidentId,
          stepId: step.id,
          seq: chunkSeq,
          stream,
          data,
        });
      });
    },
    flushed: () => chain,
  };
}
