// system.*: liveness and store health for operators and monitoring.
import { checkStoreHealth } from "@pgrescue/db";
import { z } from "zod";
import { createTRPCRouter, publicProcedure } from "../trpc.ts";

export const ZHealth = z.object({
  ok: z.boolean(),
  version: z.string(),
  store: z.object({
    reachable: z.boolean(),
    embedded: z.boolean(),
    serverVersion: z.string().nullable(),
    migrationsApplied: z.number().int(),
    migrationsPending: z.array(z.string()),
    error: z.string().optional(),
  }),
});
export type THealth = z.infer<typeof ZHealth>;

export const systemRouter = createTRPCRouter({
  health: publicProcedure.output(ZHealth).query(async ({ ctx }) => {
    const store = await checkStoreHealth(ctx.db, ctx.config.migrationsDir);
    return {
      ok: store.reachable && store.migrations.pending.length === 0,
      version: ctx.config.version,
      store: {
        reachable: store.reachable,
        embedded: ctx.config.embeddedStore,
        serverVersion: store.serverVersion,
        migrationsApplied: store.migrations.applied,
        migrationsPending: store.migrations.pending,
        ...(store.error ? { error: store.error } : {}),
      },
    };
  }),
});
