// The append-only audit trail: one function writes every event, one reads them back for admins.
import type { TDb, Prisma } from "@pgrescue/db";
import { z } from "zod";
import type { TActor } from "./actor.ts";
import { createSearchText, ZDateFilter } from "./inputs.ts";
import { escapeLikePattern } from "./like-pattern.ts";

export type TAuditInput = {
  action: string;
  targetType?: string;
  targetId?: string;
  incidentId?: string;
  details?: Record<string, unknown>;
};

type TAuditWriter = Pick<TDb, "auditEvent">;

/** A signed-in user, or (id null) an operator at the console's host running a command such as `pnpm rotate-key`. */
type TAuditActor = TActor | { id: null; label: string; ip?: string | undefined };

/**
 * Text as the store can hold it: attempts are recorded with what the attacker sent (a NUL, half of a surrogate
 * pair), which PostgreSQL's text and jsonb refuse, so those become U+FFFD instead of losing the event.
 */
function storable(text: string): string {
  return text.replace(LONE_SURROGATE, "\uFFFD").replaceAll(String.fromCharCode(0), "\uFFFD");
}

const LONE_SURROGATE = /[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/g;

export async function recordAudit(
  db: TAuditWriter,
  actor: TAuditActor,
  event: TAuditInput,
): Promise<void> {
  const details = JSON.parse(
    JSON.stringify(event.details ?? {}, (_key, value: unknown) =>
      typeof value === "string" ? storable(value) : value,
    ),
  ) as object;
  await db.auditEvent.create({
    data: {
      actorId: actor.id,
      actorLabel: storable(actor.label),
      action: event.action,
      targetType: event.targetType ?? null,
      targetId: event.targetId === undefined ? null : storable(event.targetId),
      incidentId: event.incidentId ?? null,
      details,
      ip: actor.ip ?? null,
    },
  });
}

/** AuditEvent.id is a BigInt; it travels as its decimal string. */
const ZEventId = z
  .string()
  .regex(/^\d{1,19}$/, "an audit event id is a decimal number")
  .refine((id) => BigInt(id) <= 9_223_372_036_854_775_807n, "no audit event has an id that large");

export const ZAuditListInput = z.object({
  /** "step." for every step event, "step.approve" for approvals only. */
  action: z
    .string()
    .trim()
    .max(100)
    .regex(/^[a-z0-9.-]*$/, "an action is lower-case words joined by '.' and '-'")
    .optional(),
  /** Part of the actor's label (their email), any case. */
  actor: createSearchText(200).optional(),
  targetType: createSearchText(50).optional(),
  targetId: createSearchText(200).optional(),
  incidentId: createSearchText(64).optional(),
  /** Events at or after `from` and before `to`. */
  from: ZDateFilter.optional(),
  to: ZDateFilter.optional(),
  cursor: ZEventId.optional(),
  limit: z.number().int().min(1).max(200).default(50),
});
export type TAuditListInput = z.infer<typeof ZAuditListInput>;

/** Everything an event holds, and nothing of the rows it points to. */
const auditEventSelect = {
  id: true,
  at: true,
  actorId: true,
  actorLabel: true,
  action: true,
  targetType: true,
  targetId: true,
  incidentId: true,
  details: true,
  ip: true,
} satisfies Prisma.AuditEventSelect;

type TAuditRow = Prisma.AuditEventGetPayload<{ select: typeof auditEventSelect }>;
export type TAuditEvent = Omit<TAuditRow, "id"> & { id: string };

/** A filter left empty in the form arrives as "" and filters nothing. */
const given = (value: string | undefined): value is string => value !== undefined && value !== "";

function auditWhere(input: TAuditListInput): Prisma.AuditEventWhereInput {
  return {
    ...(given(input.action) ? { action: { startsWith: input.action } } : {}),
    ...(given(input.actor)
      ? { actorLabel: { contains: escapeLikePattern(input.actor), mode: "insensitive" } }
      : {}),
    ...(given(input.targetType) ? { targetType: input.targetType } : {}),
    ...(given(input.targetId) ? { targetId: input.targetId } : {}),
    ...(given(input.incidentId) ? { incidentId: input.incidentId } : {}),
    ...(input.from === undefined && input.to === undefined
      ? {}
      : {
          at: {
            ...(input.from === undefined ? {} : { gte: input.from }),
            ...(input.to === undefined ? {} : { lt: input.to }),
          },
        }),
    ...(input.cursor === undefined ? {} : { id: { lt: BigInt(input.cursor) } }),
  };
}

/** Newest first, keyset-paginated on the id (ids only grow), so a deep page costs what the first one does. */
export async function listAuditEvents(
  db: TDb,
  input: TAuditListInput,
): Promise<{ items: TAuditEvent[]; nextCursor: string | null }> {
  const rows = await db.auditEvent.findMany({
    where: auditWhere(input),
    orderBy: { id: "desc" },
    take: input.limit + 1,
    select: auditEventSelect,
  });
  const hasMore = rows.length > input.limit;
  const items = (hasMore ? rows.slice(0, input.limit) : rows).map((row) => ({
    ...row,
    id: row.id.toString(),
  }));
  return { items, nextCursor: hasMore ? (items[items.length - 1]?.id ?? null) : null };
}
