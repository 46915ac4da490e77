// The step record as the API returns it: the store's row with its JSON read back into core's types (the planned
// TLadderStep, the script's TActionOutput, the captured TEvidence), so routers and the UI get one typed shape.
import {
  ZActionOutput,
  ZEvidence,
  ZLadderStep,
  ZRung,
  type TActionOutput,
  type TEvidence,
  type TLadderStep,
  type TRung,
} from "@pgrescue/core";
import type { TDb, Prisma } from "@pgrescue/db";
import type { z } from "zod";
import { notFound } from "./service-error.ts";

export const stepSelect = {
  id: true,
  incidentId: true,
  seq: true,
  rung: true,
  action: true,
  title: true,
  script: true,
  displayCommands: true,
  commandHash: true,
  why: true,
  destroys: true,
  expectedOutcome: true,
  blockedReason: true,
  status: true,
  plannedFromId: true,
  materialHash: true,
  confirmationRequired: true,
  requestedBy: { select: { id: true, email: true } },
  choiceReason: true,
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

/** The row as the store returns it (JSON columns untyped). */
export type TStepRow = Prisma.StepGetPayload<{ select: typeof stepSelect }>;

type TStepJson = "rung" | "plan" | "result" | "evidence";

/** A row of any select that includes the step's rung and JSON columns, with those in core's types. */
export type TTypedStep<TRow extends Pick<TStepRow, TStepJson>> = Omit<TRow, TStepJson> & {
  rung: TRung;
  plan: TLadderStep | null;
  result: TActionOutput | null;
  evidence: TEvidence | null;
};

export type TStepRecord = TTypedStep<TStepRow>;

/**
 * Stored JSON in core's type. Every row this version writes matches; a value that does not (written by a version
 * whose schema differed) is returned as null rather than guessed at, and the rest of the step stays readable.
 */
export function readStoredJson<T>(schema: z.ZodType<T>, value: Prisma.JsonValue | null): T | null {
  if (value === null) return null;
  const parsed = schema.safeParse(value);
  return parsed.success ? parsed.data : null;
}

/** The step with its rung, planned step, report and evidence read back into core's types. */
export function readStepRecord<TRow extends Pick<TStepRow, TStepJson>>(
  row: TRow,
): TTypedStep<TRow> {
  return {
    ...row,
    // Only the planner writes a rung (0–4); anything else is a broken row, not something to show.
    rung: ZRung.parse(row.rung),
    plan: readStoredJson(ZLadderStep, row.plan),
    result: readStoredJson(ZActionOutput, row.result),
    evidence: readStoredJson(ZEvidence, row.evidence),
  };
}

export async function loadStep(db: TDb, stepId: string): Promise<TStepRecord> {
  const step = await db.step.findUnique({ where: { id: stepId }, select: stepSelect });
  if (step === null) throw notFound("step", stepId);
  return readStepRecord(step);
}

/** Prisma's JSON input from a value core produced (plain data: objects, arrays, strings, numbers, booleans, null). */
export function toJson(value: unknown): Prisma.InputJsonValue {
  return JSON.parse(JSON.stringify(value)) as Prisma.InputJsonValue;
}
