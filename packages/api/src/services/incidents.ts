// Incidents: opened from a diagnosis (one active per instance, enforced by the store), closed with an outcome, listed and shown.
import { describeRung, ZVerdict } from "@pgrescue/core";
import { Prisma, type TDb, type IncidentOutcome, type IncidentStatus } from "@pgrescue/db";
import type { TActor } from "./actor.ts";
import { recordAudit } from "./audit.ts";
import { diagnoseInstance } from "./diagnosis.ts";
import { findInstance } from "./instances.ts";
import type { TRuntime } from "./runtime.ts";
import { notFound, ServiceError } from "./service-error.ts";
import { escapeLikePattern } from "./like-pattern.ts";
import { readStepRecord, readStoredJson, stepSelect, type TStepRecord } from "./step-record.ts";
import { loadOpenIncident, proposeNext } from "./steps.ts";

export const incidentSummarySelect = {
  id: true,
  title: true,
  status: true,
  outcome: true,
  summary: true,
  openedAt: true,
  closedAt: true,
  openedBy: { select: { id: true, email: true } },
  closedBy: { select: { id: true, email: true } },
  instance: {
    select: { id: true, name: true, dataDir: true, host: { select: { id: true, name: true } } },
  },
} satisfies Prisma.IncidentSelect;

export type TIncidentSummary = Prisma.IncidentGetPayload<{ select: typeof incidentSummarySelect }>;

export const snapshotSummarySelect = {
  id: true,
  takenAt: true,
  verdict: true,
  evidence: true,
  recommendedRung: true,
  materialHash: true,
  durationMs: true,
  sshExecs: true,
  takenBy: { select: { id: true, email: true } },
} satisfies Prisma.SnapshotSelect;

export type TOpenInput = { instanceId: string } | { host: string; pgdata: string };

export async function openIncident(
  db: TDb,
  runtime: TRuntime,
  actor: TActor,
  input: TOpenInput,
): Promise<{ incident: TIncidentSummary; step: TStepRecord | null; verdict: string }> {
  const instance = await findInstance(db, "instanceId" in input ? { id: input.instanceId } : input);
  const active = await db.incident.findUnique({
    where: { activeInstanceId: instance.id },
    select: { id: true },
  });
  if (active !== null) {
    throw new ServiceError(
      "CONFLICT",
      `incident ${active.id} is already open for ${instance.host.name}:${instance.name}: continue it or close it first`,
      { incidentId: active.id },
    );
  }
  const diagnosis = await diagnoseInstance(db, runtime, actor, instance);
  let incidentId: string;
  try {
    const created = await db.incident.create({
      data: {
        instanceId: instance.id,
        activeInstanceId: instance.id,
        title: `${instance.host.name}:${instance.name} — ${diagnosis.snapshot.verdict.title}`,
        openedById: actor.id,
      },
      select: { id: true },
    });
    incidentId = created.id;
  } catch (error) {
    // Another console process opened one in the meantime: the unique column decides.
    if (error instanceof Prisma.PrismaClientKnownRequestError && error.code === "P2002") {
      throw new ServiceError(
        "CONFLICT",
        `an incident was opened for ${instance.host.name}:${instance.name} in the meantime`,
      );
    }
    throw error;
  }
  await db.snapshot.update({
    where: { id: diagnosis.snapshotId },
    data: { incidentId },
    select: { id: true },
  });
  // The opening diagnosis ran before the incident existed: its audit event joins the incident's trail.
  await db.auditEvent.updateMany({
    where: {
      action: "diagnosis.run",
      incidentId: null,
      details: { path: ["snapshotId"], equals: diagnosis.snapshotId },
    },
    data: { incidentId },
  });
  await recordAudit(db, actor, {
    action: "incident.open",
    targetType: "Incident",
    targetId: incidentId,
    incidentId,
    details: {
      instance: `${instance.host.name}:${instance.name}`,
      verdict: diagnosis.snapshot.verdict.code,
      snapshotId: diagnosis.snapshotId,
    },
  });
  runtime.bus.publish({ kind: "incident", incidentId, status: "OPEN" });
  const step = await proposeNext(db, runtime, actor, incidentId, instance, diagnosis);
  const incident = await db.incident.findUniqueOrThrow({
    where: { id: incidentId },
    select: incidentSummarySelect,
  });
  return { incident, step, verdict: diagnosis.snapshot.verdict.code };
}

/** A fresh diagnosis inside the incident; open steps planned from a materially different picture become void. */
export async function rediagnoseIncident(
  db: TDb,
  runtime: TRuntime,
  actor: TActor,
  incidentId: string,
) {
  const incident = await loadOpenIncident(db, incidentId);
  const instance = await findInstance(db, { id: incident.instanceId });
  const diagnosis = await diagnoseInstance(db, runtime, actor, instance, incidentId);
  const open = await db.step.findFirst({
    where: { incidentId, status: { in: ["PROPOSED", "APPROVED"] } },
    select: { materialHash: true },
  });
  const step =
    open !== null && open.materialHash === diagnosis.materialHash
      ? null
      : await proposeNext(db, runtime, actor, incidentId, instance, diagnosis);
  return {
    snapshotId: diagnosis.snapshotId,
    verdict: diagnosis.snapshot.verdict.code,
    recommendedRung: diagnosis.snapshot.recommendation.rung,
    step,
  };
}

export async function closeIncident(
  db: TDb,
  runtime: TRuntime,
  actor: TActor,
  input: { incidentId: string; outcome: IncidentOutcome; summary: string },
): Promise<TIncidentSummary> {
  const closed = await db.$transaction(async (tx) => {
    await tx.$queryRaw`SELECT id FROM "Incident" WHERE id = ${input.incidentId} FOR UPDATE`;
    const incident = await tx.incident.findUnique({
      where: { id: input.incidentId },
      select: { status: true },
    });
    if (incident === null) throw notFound("incident", input.incidentId);
    if (incident.status !== "OPEN")
      throw new ServiceError("CONFLICT", `incident ${input.incidentId} is already closed`);
    if ((await tx.step.count({ where: { incidentId: input.incidentId, status: "RUNNING" } })) > 0) {
      throw new ServiceError(
        "CONFLICT",
        "a step is running: wait for it to finish before closing the incident",
      );
    }
    await tx.step.updateMany({
      where: { incidentId: input.incidentId, status: { in: ["PROPOSED", "APPROVED"] } },
      data: { status: "SKIPPED", skipReason: "the incident was closed" },
    });
    return tx.incident.update({
      where: { id: input.incidentId },
      data: {
        status: "CLOSED",
        activeInstanceId: null,
        outcome: input.outcome,
        summary: input.summary,
        closedAt: new Date(),
        closedById: actor.id,
      },
      select: incidentSummarySelect,
    });
  });
  await recordAudit(db, actor, {
    action: "incident.close",
    targetType: "Incident",
    targetId: closed.id,
    incidentId: closed.id,
    details: { outcome: input.outcome, summary: input.summary },
  });
  runtime.bus.publish({ kind: "incident", incidentId: closed.id, status: "CLOSED" });
  return closed;
}

export type TListFilters = {
  host?: string;
  instance?: string;
  status?: IncidentStatus;
  outcome?: IncidentOutcome;
  from?: Date;
  to?: Date;
  text?: string;
  cursor?: string;
  limit: number;
};

/** Newest first, keyset-paginated on (openedAt, id) so that page 500 costs what page 1 costs. */
export async function listIncidents(
  db: TDb,
  filters: TListFilters,
): Promise<{ items: TIncidentSummary[]; nextCursor: string | null }> {
  const where: Prisma.IncidentWhereInput = {
    ...(filters.status === undefined ? {} : { status: filters.status }),
    ...(filters.outcome === undefined ? {} : { outcome: filters.outcome }),
    ...(filters.from === undefined && filters.to === undefined
      ? {}
      : {
          openedAt: {
            ...(filters.from ? { gte: filters.from } : {}),
            ...(filters.to ? { lt: filters.to } : {}),
          },
        }),
    ...(filters.host === undefined && filters.instance === undefined
      ? {}
      : {
          instance: {
            ...(filters.host ? { host: { name: filters.host } } : {}),
            ...(filters.instance ? { name: filters.instance } : {}),
          },
        }),
    ...(filters.text === undefined || filters.text.trim() === ""
      ? {}
      : {
          // Literal text: `%` and `_` in a search are characters, not LIKE wildcards.
          OR: [
            { title: { contains: escapeLikePattern(filters.text), mode: "insensitive" } },
            { summary: { contains: escapeLikePattern(filters.text), mode: "insensitive" } },
          ],
        }),
  };
  const items = await db.incident.findMany({
    where,
    orderBy: [{ openedAt: "desc" }, { id: "desc" }],
    take: filters.limit + 1,
    ...(filters.cursor === undefined ? {} : { cursor: { id: filters.cursor }, skip: 1 }),
    select: incidentSummarySelect,
  });
  const hasMore = items.length > filters.limit;
  const page = hasMore ? items.slice(0, filters.limit) : items;
  return { items: page, nextCursor: hasMore ? (page[page.length - 1]?.id ?? null) : null };
}

export async function getIncident(db: TDb, incidentId: string) {
  const incident = await db.incident.findUnique({
    where: { id: incidentId },
    select: {
      ...incidentSummarySelect,
      steps: {
        orderBy: { seq: "asc" },
        select: {
          ...stepSelect,
          output: {
            orderBy: { seq: "asc" },
            select: { seq: true, stream: true, data: true, at: true },
          },
        },
      },
      snapshots: { orderBy: { takenAt: "asc" }, select: snapshotSummarySelect },
      auditEvents: {
        orderBy: { at: "asc" },
        select: {
          id: true,
          at: true,
          actorLabel: true,
          action: true,
          targetType: true,
          targetId: true,
          details: true,
        },
      },
    },
  });
  if (incident === null) throw notFound("incident", incidentId);
  const latest = incident.snapshots[incident.snapshots.length - 1];
  return {
    ...incident,
    steps: incident.steps.map(readStepRecord),
    // A diagnosis's evidence is its verdict's list of findings.
    snapshots: incident.snapshots.map((snapshot) => ({
      ...snapshot,
      evidence: readStoredJson(ZVerdict.shape.evidence, snapshot.evidence) ?? [],
    })),
    auditEvents: incident.auditEvents.map((event) => ({ ...event, id: event.id.toString() })),
    current: {
      verdict: latest?.verdict ?? null,
      recommendedRung: latest?.recommendedRung ?? null,
      recommendation: latest === undefined ? null : describeRung(latest.recommendedRung),
    },
  };
}

export type TIncidentDetail = Awaited<ReturnType<typeof getIncident>>;
