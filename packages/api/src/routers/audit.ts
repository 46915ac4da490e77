// audit.*: the audit trail for admins — every event, newest first, with filters and cursor pagination.
import { z } from "zod";
import { listAuditEvents, ZAuditListInput } from "../services/audit.ts";
import { adminProcedure, createTRPCRouter } from "../trpc.ts";
import { ZJson } from "./schemas.ts";

export const ZAuditEvent = z.object({
  id: z.string(),
  at: z.date(),
  actorId: z.string().nullable(),
  actorLabel: z.string(),
  action: z.string(),
  targetType: z.string().nullable(),
  targetId: z.string().nullable(),
  incidentId: z.string().nullable(),
  details: ZJson,
  ip: z.string().nullable(),
});

export const auditRouter = createTRPCRouter({
  list: adminProcedure
    .input(ZAuditListInput)
    .output(z.object({ items: z.array(ZAuditEvent), nextCursor: z.string().nullable() }))
    .query(({ ctx, input }) => listAuditEvents(ctx.db, input)),
});
