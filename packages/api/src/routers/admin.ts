// users.*, tokens.*, policy.* and setup.*: people and their passwords, API tokens, the approval policy, and the
// console's first admin through the one-time setup link.
import { z } from "zod";
import { readApprovalPolicy, updateApprovalPolicy, ZApprovalPolicy } from "../services/policy.ts";
import { createApiToken, listApiTokens, revokeApiToken } from "../services/tokens.ts";
import {
  changeOwnPassword,
  completeFirstAdminSetup,
  createUser,
  listUsers,
  needsFirstAdmin,
  resetUserPassword,
  setUserDisabled,
  setUserRole,
} from "../services/users.ts";
import { PASSWORD_RULES } from "../services/auth.ts";
import { createFreeText, ZId } from "../services/inputs.ts";
import {
  adminProcedure,
  createTRPCRouter,
  protectedProcedure,
  publicProcedure,
  viewerProcedure,
} from "../trpc.ts";

const ZRole = z.enum(["VIEWER", "OPERATOR", "APPROVER", "ADMIN"]);
const ZEmail = z.email({ message: "enter an e-mail address like dba@example.com" }).max(320);
const ZName = createFreeText(200);
export const ZPassword = z
  .string()
  .min(PASSWORD_RULES.min, `a password needs at least ${String(PASSWORD_RULES.min)} characters`)
  .max(PASSWORD_RULES.max, `a password has at most ${String(PASSWORD_RULES.max)} characters`)
  .refine((p) => !/\p{Cc}/u.test(p), "a password cannot contain control characters");
const ZOk = z.object({ ok: z.literal(true) });
const ok = { ok: true as const };

const ZUserRow = z.object({
  id: z.string(),
  email: z.string(),
  name: z.string(),
  role: ZRole,
  disabledAt: z.date().nullable(),
  createdAt: z.date(),
  activeSessions: z.number().int(),
  activeTokens: z.number().int(),
});

export const usersRouter = createTRPCRouter({
  me: protectedProcedure
    .output(z.object({ id: z.string(), label: z.string(), role: ZRole }))
    .query(({ ctx }) => ({ id: ctx.actor.id, label: ctx.actor.label, role: ctx.actor.role })),
  list: adminProcedure.output(z.array(ZUserRow)).query(({ ctx }) => listUsers(ctx.db)),
  create: adminProcedure
    .input(z.object({ email: ZEmail, name: ZName, role: ZRole, password: ZPassword }))
    .output(z.object({ id: z.string() }))
    .mutation(({ ctx, input }) => createUser(ctx.db, ctx.actor, input)),
  setRole: adminProcedure
    .input(z.object({ userId: ZId, role: ZRole }))
    .output(ZOk)
    .mutation(async ({ ctx, input }) => {
      await setUserRole(ctx.db, ctx.actor, input);
      return ok;
    }),
  setDisabled: adminProcedure
    .input(z.object({ userId: ZId, disabled: z.boolean() }))
    .output(ZOk)
    .mutation(async ({ ctx, input }) => {
      await setUserDisabled(ctx.db, ctx.actor, input);
      return ok;
    }),
  resetPassword: adminProcedure
    .input(z.object({ userId: ZId, password: ZPassword }))
    .output(ZOk)
    .mutation(async ({ ctx, input }) => {
      await resetUserPassword(ctx.db, ctx.actor, input);
      return ok;
    }),
  changePassword: protectedProcedure
    .input(
      z.object({
        currentPassword: z.string().min(1).max(PASSWORD_RULES.max),
        newPassword: ZPassword,
      }),
    )
    .output(ZOk)
    .mutation(async ({ ctx, input }) => {
      await changeOwnPassword(ctx.db, ctx.actor, input);
      return ok;
    }),
});

const ZTokenRow = z.object({
  id: z.string(),
  name: z.string(),
  prefix: z.string(),
  createdAt: z.date(),
  lastUsedAt: z.date().nullable(),
  revokedAt: z.date().nullable(),
  user: z.object({ id: z.string(), email: z.string() }),
});

export const tokensRouter = createTRPCRouter({
  list: protectedProcedure
    .input(z.object({ all: z.boolean().default(false) }).default({ all: false }))
    .output(z.array(ZTokenRow))
    .query(({ ctx, input }) => listApiTokens(ctx.db, ctx.actor, input)),
  /** The token is returned once; only its hash is stored. Tokens are personal: a userId other than one's own is refused. */
  create: protectedProcedure
    .input(
      z.object({
        userId: ZId.optional(),
        name: createFreeText(100),
      }),
    )
    .output(z.object({ id: z.string(), token: z.string(), prefix: z.string() }))
    .mutation(({ ctx, input }) =>
      createApiToken(ctx.db, ctx.actor, { userId: input.userId ?? ctx.actor.id, name: input.name }),
    ),
  revoke: protectedProcedure
    .input(z.object({ tokenId: ZId }))
    .output(ZOk)
    .mutation(async ({ ctx, input }) => {
      await revokeApiToken(ctx.db, ctx.actor, input.tokenId);
      return ok;
    }),
});

export const policyRouter = createTRPCRouter({
  get: viewerProcedure.output(ZApprovalPolicy).query(({ ctx }) => readApprovalPolicy(ctx.db)),
  update: adminProcedure
    .input(ZApprovalPolicy)
    .output(ZApprovalPolicy)
    .mutation(({ ctx, input }) => updateApprovalPolicy(ctx.db, ctx.actor, input)),
});

export const setupRouter = createTRPCRouter({
  /** Before the first admin exists, the sign-in page points to the setup link in the console's log. */
  status: publicProcedure
    .output(z.object({ needsFirstAdmin: z.boolean() }))
    .query(async ({ ctx }) => ({ needsFirstAdmin: await needsFirstAdmin(ctx.db) })),
  complete: publicProcedure
    .input(
      z.object({
        token: z
          .string()
          .trim()
          .regex(/^[A-Za-z0-9_-]{43}$/, "paste the whole setup link from the console's log"),
        email: ZEmail,
        name: ZName,
        password: ZPassword,
      }),
    )
    .output(z.object({ email: z.string() }))
    .mutation(({ ctx, input }) => completeFirstAdminSetup(ctx.db, input, ctx.clientAddress)),
});
