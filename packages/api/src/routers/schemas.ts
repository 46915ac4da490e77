// Output shapes of the routers: hosts, incidents and steps. A step's planned fields, its plan, report and evidence
// are core's own schemas, so a change to the ladder in core is a compile error where the UI reads it.
import { ZActionOutput, ZEvidence, ZLadderStep, ZVerdict } from "@pgrescue/core";
import type { Prisma } from "@pgrescue/db";
import { z } from "zod";

const ZPerson = z.object({ id: z.string(), email: z.string() }).nullable();
/** Free-form stored JSON (audit details), passed through as the store holds it. */
export const ZJson = z.custom<Prisma.JsonValue>((value) => value !== undefined);

export const ZStepStatus = z.enum([
  "PROPOSED",
  "APPROVED",
  "RUNNING",
  "SUCCEEDED",
  "FAILED",
  "REFUSED",
  "SKIPPED",
  "EXPIRED",
  "INTERRUPTED",
]);

export const ZStepSchema = z.object({
  id: z.string(),
  incidentId: z.string(),
  seq: z.number().int(),
  rung: ZLadderStep.shape.rung,
  action: z.string(),
  title: ZLadderStep.shape.title,
  /** The exact script that runs; never null for a stored step. */
  script: z.string(),
  displayCommands: ZLadderStep.shape.displayCommands,
  commandHash: z.string(),
  why: ZLadderStep.shape.why,
  destroys: ZLadderStep.shape.destroys,
  expectedOutcome: ZLadderStep.shape.expectedOutcome,
  /** Set when the evidence says this step will not work. */
  blockedReason: ZLadderStep.shape.blockedReason,
  status: ZStepStatus,
  plannedFromId: z.string(),
  materialHash: z.string(),
  confirmationRequired: z.string().nullable(),
  requestedBy: ZPerson,
  /** The operator's reason for choosing another rung than recommended (or when none was). */
  choiceReason: z.string().nullable(),
  approvedBy: ZPerson,
  approvedAt: z.date().nullable(),
  approvalExpiresAt: z.date().nullable(),
  confirmation: z.string().nullable(),
  /** Why the step was skipped (the operator's reason, or the incident was closed). */
  skipReason: z.string().nullable(),
  evidence: ZEvidence.nullable(),
  /** The step as core planned it. */
  plan: ZLadderStep.nullable(),
  /** The script's parsed report, once it ran. */
  result: ZActionOutput.nullable(),
  startedAt: z.date().nullable(),
  finishedAt: z.date().nullable(),
  exitCode: z.number().int().nullable(),
  error: z.string().nullable(),
  resultSnapshotId: z.string().nullable(),
  createdAt: z.date(),
});

export const ZIncidentOutcome = z.enum([
  "RECOVERED",
  "ABORTED",
  "NEEDS_REBOOT",
  "ESCALATED",
  "FALSE_ALARM",
]);
export const ZIncidentStatus = z.enum(["OPEN", "CLOSED"]);

export const ZIncidentSummarySchema = z.object({
  id: z.string(),
  title: z.string(),
  status: ZIncidentStatus,
  outcome: ZIncidentOutcome.nullable(),
  summary: z.string().nullable(),
  openedAt: z.date(),
  closedAt: z.date().nullable(),
  openedBy: ZPerson,
  closedBy: ZPerson,
  instance: z.object({
    id: z.string(),
    name: z.string(),
    dataDir: z.string(),
    host: z.object({ id: z.string(), name: z.string() }),
  }),
});

export const ZIncidentDetailSchema = ZIncidentSummarySchema.extend({
  steps: z.array(
    ZStepSchema.extend({
      output: z.array(
        z.object({
          seq: z.number().int(),
          stream: z.enum(["STDOUT", "STDERR", "SYSTEM"]),
          data: z.string(),
          at: z.date(),
        }),
      ),
    }),
  ),
  snapshots: z.array(
    z.object({
      id: z.string(),
      takenAt: z.date(),
      verdict: z.string(),
      evidence: ZVerdict.shape.evidence,
      recommendedRung: z.number().int().nullable(),
      materialHash: z.string(),
      durationMs: z.number().int(),
      sshExecs: z.number().int(),
      takenBy: ZPerson,
    }),
  ),
  auditEvents: z.array(
    z.object({
      id: z.string(),
      at: z.date(),
      actorLabel: z.string(),
      action: z.string(),
      targetType: z.string().nullable(),
      targetId: z.string().nullable(),
      details: ZJson,
    }),
  ),
  current: z.object({
    verdict: z.string().nullable(),
    recommendedRung: z.number().int().nullable(),
    recommendation: z.string().nullable(),
  }),
});

export const ZRunOutcomeSchema = z.object({
  step: ZStepSchema,
  snapshotId: z.string().nullable(),
  verdict: z.string().nullable(),
  nextStep: ZStepSchema.nullable(),
});

export const ZHostSchema = z.object({
  id: z.string(),
  name: z.string(),
  address: z.string(),
  port: z.number().int(),
  sshUser: z.string(),
  becomeUser: z.string().nullable(),
  authMethod: z.enum(["KEY", "PASSWORD", "AGENT"]),
  hostKeyAlgorithm: z.string().nullable(),
  hostKeyFingerprint: z.string().nullable(),
  hostKeyPinnedAt: z.date().nullable(),
  /** Set while the host presented another key than the pinned one: all work on it is blocked. */
  hostKeyMismatchAt: z.date().nullable(),
  hostKeyMismatchFingerprint: z.string().nullable(),
  createdAt: z.date(),
});

export const ZHostListItemSchema = ZHostSchema.extend({
  hostKeyPinnedBy: z.object({ email: z.string() }).nullable(),
  instances: z.array(
    z.object({
      id: z.string(),
      name: z.string(),
      dataDir: z.string(),
      snapshots: z.array(z.object({ verdict: z.string(), takenAt: z.date() })),
    }),
  ),
});

export const ZPresentedHostKeySchema = z.object({ algorithm: z.string(), fingerprint: z.string() });

export const ZHostUpdateSchema = z.object({
  host: ZHostSchema,
  /** address, port, sshUser, becomeUser, credential — never a secret's value. */
  changed: z.array(z.string()),
});

/** Both keys side by side: the pin, and what the host presents right now (fetched live, no login). */
export const ZHostKeyReviewSchema = z.object({
  pinned: ZPresentedHostKeySchema.nullable(),
  presented: ZPresentedHostKeySchema,
  fetchedAt: z.date(),
});
