// The one place that defines tRPC's builders for pgrescue: context type, transformer, error shaping,
// and the procedure kinds every router composes (public → protected → role).
import { initTRPC, TRPCError } from "@trpc/server";
import type { Role } from "@pgrescue/db";
import { RemoteError, type RemoteErrorCode } from "@pgrescue/remote";
import { ShellValueError } from "@pgrescue/core";
import superjson from "superjson";
import { z, ZodError } from "zod";
import type { Context } from "./context.ts";
import { hasRole } from "./services/actor.ts";
import { recordAudit } from "./services/audit.ts";
import { ServiceError } from "./services/service-error.ts";
import { VaultError } from "./services/vault.ts";

const t = initTRPC.context<Context>().create({
  transformer: superjson,
  errorFormatter({ shape, error }) {
    return {
      ...shape,
      data: {
        ...shape.data,
        zodError: error.cause instanceof ZodError ? z.treeifyError(error.cause) : null,
        remoteCode: error.cause instanceof RemoteError ? error.cause.code : null,
      },
    };
  },
});

const REMOTE_TO_TRPC: Record<RemoteErrorCode, TRPCError["code"]> = {
  INVALID_TARGET: "BAD_REQUEST",
  PRIVATE_KEY_INVALID: "BAD_REQUEST",
  AGENT_UNAVAILABLE: "PRECONDITION_FAILED",
  UNREACHABLE: "BAD_GATEWAY",
  AUTH_FAILED: "UNAUTHORIZED",
  HOST_KEY_MISMATCH: "PRECONDITION_FAILED",
  HOST_KEY_UNKNOWN: "PRECONDITION_FAILED",
  COMMAND_TIMEOUT: "TIMEOUT",
  COMMAND_CANCELLED: "CLIENT_CLOSED_REQUEST",
  COMMAND_MISSING: "PRECONDITION_FAILED",
  SUDO_FAILED: "PRECONDITION_FAILED",
  CONNECTION_LOST: "BAD_GATEWAY",
  CHANNEL_REFUSED: "SERVICE_UNAVAILABLE",
  POOL_CLOSED: "SERVICE_UNAVAILABLE",
};

/** Expected failures become tRPC errors with the service's message; anything else is logged and shown generically. */
const errorMapping = t.middleware(async ({ next, path }) => {
  const result = await next();
  if (result.ok) return result;
  const cause = result.error.cause;
  if (cause instanceof ServiceError) {
    throw new TRPCError({ code: cause.code, message: cause.message, cause });
  }
  if (cause instanceof RemoteError) {
    throw new TRPCError({ code: REMOTE_TO_TRPC[cause.code], message: cause.message, cause });
  }
  if (cause instanceof ShellValueError) {
    throw new TRPCError({ code: "BAD_REQUEST", message: cause.message, cause });
  }
  if (cause instanceof VaultError) {
    console.error(`[trpc] ${path}: ${cause.message}`);
    throw new TRPCError({ code: "INTERNAL_SERVER_ERROR", message: cause.message, cause });
  }
  if (result.error.code === "INTERNAL_SERVER_ERROR") {
    console.error(`[trpc] ${path} failed:`, cause ?? result.error);
    throw new TRPCError({
      code: "INTERNAL_SERVER_ERROR",
      message: "internal error: see the console's log",
      cause,
    });
  }
  return result;
});

export const createTRPCRouter = t.router;
export const createCallerFactory = t.createCallerFactory;
export const publicProcedure = t.procedure.use(errorMapping);

/** Signed in (an API token until sign-in arrives): narrows ctx.actor to non-null. */
export const protectedProcedure = publicProcedure.use(({ ctx, next }) => {
  if (ctx.actor === null) {
    throw new TRPCError({
      code: "UNAUTHORIZED",
      message:
        "sign in first: send an API token as `Authorization: Bearer pgr_…` (PGRESCUE_TOKEN for the CLI)",
    });
  }
  return next({ ctx: { ...ctx, actor: ctx.actor } });
});

function roleProcedure(role: Role) {
  return protectedProcedure.use(async ({ ctx, next, path }) => {
    if (!hasRole(ctx.actor, role)) {
      // a refusal by role is audited: who tried what they may not do
      await recordAudit(ctx.db, ctx.actor, {
        action: "auth.forbidden",
        targetType: "Procedure",
        targetId: path,
        details: { needs: role, has: ctx.actor.role },
      });
      throw new TRPCError({
        code: "FORBIDDEN",
        message: `this needs the ${role.toLowerCase()} role; ${ctx.actor.label} is ${ctx.actor.role.toLowerCase()}`,
      });
    }
    return next();
  });
}

export const viewerProcedure = roleProcedure("VIEWER");
export const operatorProcedure = roleProcedure("OPERATOR");
export const approverProcedure = roleProcedure("APPROVER");
export const adminProcedure = roleProcedure("ADMIN");
