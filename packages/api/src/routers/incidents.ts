// incidents.*: open from a diagnosis, re-diagnose, close with an outcome, history with filters, detail, export, live events.
import { z } from "zod";
import { ZHostName } from "../services/hosts.ts";
import { exportIncident } from "../services/incident-report.ts";
import {
  closeIncident,
  getIncident,
  listIncidents,
  openIncident,
  rediagnoseIncident,
} from "../services/incidents.ts";
import { ZInstanceName } from "../services/instances.ts";
import { createTRPCRouter, operatorProcedure, viewerProcedure } from "../trpc.ts";
import {
  createFreeText,
  createSearchText,
  ZDataDirRef,
  ZDateFilter,
  ZId,
} from "../services/inputs.ts";
import {
  ZIncidentDetailSchema,
  ZIncidentOutcome,
  ZIncidentStatus,
  ZIncidentSummarySchema,
  ZStepSchema,
} from "./schemas.ts";

export const incidentsRouter = createTRPCRouter({
  open: operatorProcedure
    .input(
      z.union([z.object({ instanceId: ZId }), z.object({ host: ZHostName, pgdata: ZDataDirRef })]),
    )
    .output(
      z.object({
        incident: ZIncidentSummarySchema,
        step: ZStepSchema.nullable(),
        verdict: z.string(),
      }),
    )
    .mutation(({ ctx, input }) => openIncident(ctx.db, ctx.runtime, ctx.actor, input)),
  diagnose: operatorProcedure
    .input(z.object({ incidentId: ZId }))
    .output(
      z.object({
        snapshotId: z.string(),
        verdict: z.string(),
        recommendedRung: z.number().int().nullable(),
        step: ZStepSchema.nullable(),
      }),
    )
    .mutation(({ ctx, input }) =>
      rediagnoseIncident(ctx.db, ctx.runtime, ctx.actor, input.incidentId),
    ),
  close: operatorProcedure
    .input(
      z.object({
        incidentId: ZId,
        outcome: ZIncidentOutcome,
        summary: createFreeText(10_000),
      }),
    )
    .output(ZIncidentSummarySchema)
    .mutation(({ ctx, input }) => closeIncident(ctx.db, ctx.runtime, ctx.actor, input)),
  list: viewerProcedure
    .input(
      z.object({
        host: ZHostName.optional(),
        instance: ZInstanceName.optional(),
        status: ZIncidentStatus.optional(),
        outcome: ZIncidentOutcome.optional(),
        from: ZDateFilter.optional(),
        to: ZDateFilter.optional(),
        text: createSearchText(200).optional(),
        cursor: ZId.optional(),
        limit: z.number().int().min(1).max(200).default(50),
      }),
    )
    .output(z.object({ items: z.array(ZIncidentSummarySchema), nextCursor: z.string().nullable() }))
    .query(({ ctx, input }) => listIncidents(ctx.db, input)),
  get: viewerProcedure
    .input(z.object({ incidentId: ZId }))
    .output(ZIncidentDetailSchema)
    .query(({ ctx, input }) => getIncident(ctx.db, input.incidentId)),
  export: viewerProcedure
    .input(z.object({ incidentId: ZId, format: z.enum(["md", "json"]) }))
    .output(z.object({ filename: z.string(), contentType: z.string(), body: z.string() }))
    .query(({ ctx, input }) => exportIncident(ctx.db, input.incidentId, input.format)),
  /** Step state changes, output chunks and new diagnoses of one incident as they happen. */
  events: viewerProcedure.input(z.object({ incidentId: ZId })).subscription(async function* ({
    ctx,
    input,
    signal,
  }) {
    yield* ctx.runtime.bus.stream(input.incidentId, signal);
  }),
});
