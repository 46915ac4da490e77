// The append-only audit trail: one function writes every event.
import type { Db } from "@pgrescue/db";
import type { TActor } from "./actor.ts";

export type TAuditInput = {
  action: string;
  targetType?: string;
  targetId?: string;
  incidentId?: string;
  details?: Record<string, unknown>;
};

type TAuditWriter = Pick<Db, "auditEvent">;

export async function recordAudit(
  db: TAuditWriter,
  actor: TActor,
  event: TAuditInput,
): Promise<void> {
  await db.auditEvent.create({
    data: {
      actorId: actor.id,
      actorLabel: actor.label,
      action: event.action,
      targetType: event.targetType ?? null,
      targetId: event.targetId ?? null,
      incidentId: event.incidentId ?? null,
      details: JSON.parse(JSON.stringify(event.details ?? {})) as object,
      ip: actor.ip ?? null,
    },
  });
}
