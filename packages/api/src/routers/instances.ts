// instances.*: add a data directory on a host, list them with their last verdict, diagnose one (read-only), read stored diagnoses back.
import { SNAPSHOT_CHANGE_AREAS, ZSnapshot } from "@pgrescue/core";
import { z } from "zod";
import {
  diagnoseInstance,
  getChangesSincePrevious,
  getStoredDiagnosis,
} from "../services/diagnosis.ts";
import { ZHostName } from "../services/hosts.ts";
import {
  addInstance,
  findInstance,
  listInstanceHistory,
  listInstances,
  ZAddInstanceInput,
} from "../services/instances.ts";
import { adminProcedure, createTRPCRouter, operatorProcedure, viewerProcedure } from "../trpc.ts";
import { ZDataDirRef, ZId } from "../services/inputs.ts";

export const ZInstance = z.object({
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

export const ZDiagnosis = z.object({
  snapshotId: z.string(),
  takenAt: z.date(),
  snapshot: ZSnapshot,
  materialHash: z.string(),
  timings: z.object({ totalMs: z.number(), execMs: z.number(), parseMs: z.number() }),
  sshExecs: z.number().int(),
});

/** A stored diagnosis read back (the instance page after a reload, an incident's re-diagnosis), raw probe output on demand. */
export const ZStoredDiagnosis = z.object({
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

export const ZSnapshotChange = z.object({
  area: z.enum(SNAPSHOT_CHANGE_AREAS),
  kind: z.enum(["appeared", "disappeared", "changed", "unchanged-stuck"]),
  subject: z.string().nullable(),
  before: z.string().nullable(),
  after: z.string().nullable(),
  summary: z.string(),
});

const ZInstanceRef = z.union([
  z.object({ instanceId: ZId }),
  z.object({ host: ZHostName, pgdata: ZDataDirRef }),
]);

export const instancesRouter = createTRPCRouter({
  add: adminProcedure
    .input(ZAddInstanceInput)
    .output(ZInstance)
    .mutation(({ ctx, input }) => addInstance(ctx.db, ctx.actor, input)),
  list: viewerProcedure
    .input(z.object({ host: ZHostName.optional() }).optional())
    .output(
      z.array(
        ZInstance.extend({
          snapshots: z.array(z.object({ id: z.string(), verdict: z.string(), takenAt: z.date() })),
        }),
      ),
    )
    .query(({ ctx, input }) => listInstances(ctx.db, input?.host)),
  /** The instance's last diagnoses, newest first: what the page compares the current one with. */
  history: viewerProcedure
    .input(
      z.object({
        instanceId: ZId,
        limit: z.number().int().min(1).max(100).default(10),
      }),
    )
    .output(
      z.array(
        z.object({
          id: z.string(),
          takenAt: z.date(),
          verdict: z.string(),
          recommendedRung: z.number().int().nullable(),
          incidentId: z.string().nullable(),
        }),
      ),
    )
    .query(({ ctx, input }) => listInstanceHistory(ctx.db, input.instanceId, input.limit)),
  /** What changed since the instance's diagnosis before this one. */
  changes: viewerProcedure
    .input(z.object({ snapshotId: ZId }))
    .output(
      z.object({
        previous: z
          .object({ snapshotId: z.string(), takenAt: z.date(), verdict: z.string() })
          .nullable(),
        changes: z.array(ZSnapshotChange),
      }),
    )
    .query(({ ctx, input }) => getChangesSincePrevious(ctx.db, input.snapshotId)),
  snapshot: viewerProcedure
    .input(z.object({ snapshotId: ZId, includeRaw: z.boolean().default(false) }))
    .output(ZStoredDiagnosis)
    .query(({ ctx, input }) => getStoredDiagnosis(ctx.db, input.snapshotId, input.includeRaw)),
  diagnose: operatorProcedure
    .input(ZInstanceRef)
    .output(ZDiagnosis)
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
