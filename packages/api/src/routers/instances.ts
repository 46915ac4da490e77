// instances.*: add a data directory on a host, list them with their last verdict, diagnose one (read-only), read a stored diagnosis back.
import { ZSnapshot } from "@pgrescue/core";
import { z } from "zod";
import { diagnoseInstance, getStoredDiagnosis } from "../services/diagnosis.ts";
import {
  addInstance,
  findInstance,
  listInstances,
  ZAddInstanceInput,
} from "../services/instances.ts";
import { adminProcedure, createTRPCRouter, operatorProcedure, viewerProcedure } from "../trpc.ts";

export const ZInstanceSchema = z.object({
  id: z.string(),
  name: z.string(),
  dataDir: z.string(),
  binDir: z.string().nullable(),
  logFile: z.string().nullable(),
  serviceManager: z.enum(["PG_CTL", "SYSTEMD"]),
  hostId: z.string(),
  host: z.object({ id: z.string(), name: z.string() }),
  createdAt: z.date(),
});

export const ZDiagnosisSchema = z.object({
  snapshotId: z.string(),
  takenAt: z.date(),
  snapshot: ZSnapshot,
  materialHash: z.string(),
  timings: z.object({ totalMs: z.number(), execMs: z.number(), parseMs: z.number() }),
  sshExecs: z.number().int(),
});

/** A stored diagnosis read back (the instance page after a reload, an incident's re-diagnosis), raw probe output on demand. */
export const ZStoredDiagnosisSchema = z.object({
  snapshotId: z.string(),
  instanceId: z.string(),
  incidentId: z.string().nullable(),
  takenAt: z.date(),
  takenBy: z.object({ id: z.string(), email: z.string() }).nullable(),
  snapshot: ZSnapshot,
  materialHash: z.string(),
  durationMs: z.number().int(),
  sshExecs: z.number().int(),
  raw: z
    .object({ stdout: z.string(), stderr: z.string(), exitCode: z.number().int().nullable() })
    .nullable(),
});

const ZInstanceRef = z.union([
  z.object({ instanceId: z.string().min(1) }),
  z.object({ host: z.string().min(1), pgdata: z.string().min(1) }),
]);

export const instancesRouter = createTRPCRouter({
  add: adminProcedure
    .input(ZAddInstanceInput)
    .output(ZInstanceSchema)
    .mutation(({ ctx, input }) => addInstance(ctx.db, ctx.actor, input)),
  list: viewerProcedure
    .input(z.object({ host: z.string().optional() }).optional())
    .output(
      z.array(
        ZInstanceSchema.extend({
          snapshots: z.array(z.object({ id: z.string(), verdict: z.string(), takenAt: z.date() })),
        }),
      ),
    )
    .query(({ ctx, input }) => listInstances(ctx.db, input?.host)),
  snapshot: viewerProcedure
    .input(
      z.object({ snapshotId: z.string().min(1).max(64), includeRaw: z.boolean().default(false) }),
    )
    .output(ZStoredDiagnosisSchema)
    .query(({ ctx, input }) => getStoredDiagnosis(ctx.db, input.snapshotId, input.includeRaw)),
  diagnose: operatorProcedure
    .input(ZInstanceRef)
    .output(ZDiagnosisSchema)
    .mutation(async ({ ctx, input }) => {
      const instance = await findInstance(
        ctx.db,
        "instanceId" in input ? { id: input.instanceId } : input,
      );
      const { timings, ...rest } = await diagnoseInstance(ctx.db, ctx.runtime, ctx.actor, instance);
      return {
        ...rest,
        timings: { totalMs: timings.totalMs, execMs: timings.execMs, parseMs: timings.parseMs },
      };
    }),
});
