// users.*, tokens.* and policy.*: people, their API tokens and the approval policy (admin), plus "who am I".
import { z } from "zod";
import { readApprovalPolicy, updateApprovalPolicy, ZApprovalPolicy } from "../services/policy.ts";
import { createApiToken, createUser, revokeApiToken } from "../services/tokens.ts";
import { adminProcedure, createTRPCRouter, protectedProcedure, viewerProcedure } from "../trpc.ts";

const ZRole = z.enum(["VIEWER", "OPERATOR", "APPROVER", "ADMIN"]);

export const usersRouter = createTRPCRouter({
  me: protectedProcedure
    .output(z.object({ id: z.string(), label: z.string(), role: ZRole }))
    .query(({ ctx }) => ({ id: ctx.actor.id, label: ctx.actor.label, role: ctx.actor.role })),
  create: adminProcedure
    .input(z.object({ email: z.email(), name: z.string().trim().min(1).max(200), role: ZRole }))
    .output(z.object({ id: z.string() }))
    .mutation(({ ctx, input }) => createUser(ctx.db, ctx.actor, input)),
});

export const tokensRouter = createTRPCRouter({
  /** The token is returned once; only its hash is stored. */
  create: adminProcedure
    .input(z.object({ userId: z.string().min(1), name: z.string().trim().min(1).max(100) }))
    .output(z.object({ id: z.string(), token: z.string(), prefix: z.string() }))
    .mutation(({ ctx, input }) => createApiToken(ctx.db, ctx.actor, input)),
  revoke: adminProcedure
    .input(z.object({ tokenId: z.string().min(1) }))
    .output(z.object({ ok: z.literal(true) }))
    .mutation(async ({ ctx, input }) => {
      await revokeApiToken(ctx.db, ctx.actor, input.tokenId);
      return { ok: true as const };
    }),
});

export const policyRouter = createTRPCRouter({
  get: viewerProcedure.output(ZApprovalPolicy).query(({ ctx }) => readApprovalPolicy(ctx.db)),
  update: adminProcedure
    .input(ZApprovalPolicy)
    .output(ZApprovalPolicy)
    .mutation(({ ctx, input }) => updateApprovalPolicy(ctx.db, ctx.actor, input)),
});
