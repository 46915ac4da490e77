// The approval policy: which rungs need a second person (four-eyes) and how long an approval stays valid; admins change it.
import type { TDb } from "@pgrescue/db";
import { z } from "zod";
import type { TActor } from "./actor.ts";
import { recordAudit } from "./audit.ts";

export const ZApprovalPolicy = z.object({
  /** Rungs whose approver must differ from the person who requested the step. */
  fourEyesRungs: z.array(z.number().int().min(0).max(4)).default([]),
  /** Minutes an approval stays valid; null = the server default (10). */
  approvalTtlMinutes: z
    .number()
    .int()
    .min(1)
    .max(24 * 60)
    .nullable()
    .default(null),
});
export type TApprovalPolicy = z.infer<typeof ZApprovalPolicy>;

const KEY = "approvalPolicy";

export async function readApprovalPolicy(db: TDb): Promise<TApprovalPolicy> {
  const row = await db.setting.findUnique({ where: { key: KEY }, select: { value: true } });
  return ZApprovalPolicy.parse(row?.value ?? {});
}

export async function updateApprovalPolicy(
  db: TDb,
  actor: TActor,
  policy: TApprovalPolicy,
): Promise<TApprovalPolicy> {
  const value = ZApprovalPolicy.parse(policy);
  const json = {
    fourEyesRungs: [...new Set(value.fourEyesRungs)].sort(),
    approvalTtlMinutes: value.approvalTtlMinutes,
  };
  await db.setting.upsert({
    where: { key: KEY },
    create: { key: KEY, value: json, updatedById: actor.id },
    update: { value: json, updatedById: actor.id },
    select: { key: true },
  });
  await recordAudit(db, actor, {
    action: "policy.update",
    targetType: "Setting",
    targetId: KEY,
    details: json,
  });
  return json;
}
