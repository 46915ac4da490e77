// The one place that defines tRPC's builders for pgrescue: context type, transformer, error shaping, the call scope
// (request id, error mapping, one log line per failure) and the procedure kinds every router composes
// (public → protected → role).
import { randomUUID } from "node:crypto";
import { initTRPC, TRPCError } from "@trpc/server";
import type { Role } from "@pgrescue/db";
import { RemoteError, type TRemoteErrorCode } from "@pgrescue/remote";
import { ShellValueError } from "@pgrescue/core";
import superjson from "superjson";
import { z, ZodError } from "zod";
import type { TContext } from "./context.ts";
import { runWithRequestId, type TLogger } from "./logger.ts";
import { hasRole } from "./services/actor.ts";
import { recordAudit } from "./services/audit.ts";
import { ServiceError } from "./services/service-error.ts";
import { VaultError } from "./services/vault.ts";

/** The request id of each failed call, for the error's data: the formatter sees the error, not the call. */
const requestIds = new WeakMap<TRPCError, string>();

const t = initTRPC.context<TContext>().create({
  transformer: superjson,
  errorFormatter({ shape, error }) {
    return {
      ...shape,
      data: {
        ...shape.data,
        zodError: error.cause instanceof ZodError ? z.treeifyError(error.cause) : null,
        remoteCode: error.cause instanceof RemoteError ? error.cause.code : null,
        /** Quoted by an operator, it finds the call's log lines. */
        requestId: requestIds.get(error) ?? null,
      },
    };
  },
});

const REMOTE_TO_TRPC: Record<TRemoteErrorCode, TRPCError["code"]> = {
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

/** Expected failures become tRPC errors with the service's message; anything else is unexpected and shown generically. */
function toClientError(
  error: TRPCError,
  requestId: string,
): { error: TRPCError; unexpected: boolean } {
  const cause = error.cause;
  if (cause instanceof ServiceError) {
    return {
      error: new TRPCError({ code: cause.code, message: cause.message, cause }),
      unexpected: false,
    };
  }
  if (cause instanceof RemoteError) {
    const code = REMOTE_TO_TRPC[cause.code];
    return { error: new TRPCError({ code, message: cause.message, cause }), unexpected: false };
  }
  if (cause instanceof ShellValueError) {
    return {
      error: new TRPCError({ code: "BAD_REQUEST", message: cause.message, cause }),
      unexpected: false,
    };
  }
  if (cause instanceof VaultError) {
    // The vault's message tells the admin which key is missing; it names no secret.
    const mapped = new TRPCError({ code: "INTERNAL_SERVER_ERROR", message: cause.message, cause });
    return { error: mapped, unexpected: true };
  }
  if (error.code === "INTERNAL_SERVER_ERROR") {
    const message = `internal error (request ${requestId}): see the console's log`;
    return {
      error: new TRPCError({ code: "INTERNAL_SERVER_ERROR", message, cause }),
      unexpected: true,
    };
  }
  return { error, unexpected: false };
}

/** The one log line of a failed call: an unexpected failure with its stack, a refusal with its code and message. */
function logFailure(log: TLogger, error: TRPCError, unexpected: boolean): void {
  if (unexpected) log.error({ err: error.cause ?? error, code: error.code }, "call failed");
  else log.info({ code: error.code, reason: error.message }, "call refused");
}

/**
 * Every call gets a request id: on every log line written while it runs (services and step runs included) and in a
 * failure's data. A failure is mapped to its tRPC code and logged here, once.
 */
const callScope = t.middleware(({ ctx, next, path, type }) => {
  const requestId = randomUUID();
  return runWithRequestId(requestId, async () => {
    const log = ctx.runtime.logger.child({ path, type, actorId: ctx.actor?.id ?? null });
    const started = performance.now();
    const result = await next({ ctx: { requestId, log } });
    if (result.ok) {
      log.debug({ durationMs: Math.round(performance.now() - started) }, "call done");
      return result;
    }
    const { error, unexpected } = toClientError(result.error, requestId);
    requestIds.set(error, requestId);
    logFailure(log, error, unexpected);
    throw error;
  });
});

/**
 * The HTTP handler's onError. A failure inside a procedure was logged by callScope already; any other (the request
 * could not be read, the context not created, a subscription failed while streaming) gets its request id and its one
 * log line here.
 */
export function createErrorLogger(logger: TLogger) {
  return (failure: { error: TRPCError; path: string | undefined; type: string }): void => {
    if (requestIds.has(failure.error)) return;
    const requestId = randomUUID();
    requestIds.set(failure.error, requestId);
    runWithRequestId(requestId, () => {
      const log = logger.child({ path: failure.path ?? null, type: failure.type });
      logFailure(log, failure.error, failure.error.code === "INTERNAL_SERVER_ERROR");
    });
  };
}

export const createTRPCRouter = t.router;
export const createCallerFactory = t.createCallerFactory;
export const publicProcedure = t.procedure.use(callScope);

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
