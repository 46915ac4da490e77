// demo.*: "Try it on a lab host": whether this machine can run one, create the broken demo instance, break it again, remove it.
import { z } from "zod";
import { breakDemoAgain, createDemoLabHost, getDemoStatus, removeDemo } from "../services/demo.ts";
import { adminProcedure, createTRPCRouter, viewerProcedure } from "../trpc.ts";

const ZLabMode = z.enum(["root", "userns", "plain"]);

export const demoRouter = createTRPCRouter({
  status: viewerProcedure
    .output(
      z.object({
        mode: ZLabMode,
        unavailable: z.string().nullable(),
        host: z
          .object({
            id: z.string(),
            name: z.string(),
            labHostName: z.string(),
            labRunning: z.boolean(),
          })
          .nullable(),
        instanceId: z.string().nullable(),
      }),
    )
    .query(({ ctx }) => getDemoStatus(ctx.db)),
  createLabHost: adminProcedure
    .output(
      z.object({
        instanceId: z.string(),
        hostId: z.string(),
        labHostName: z.string(),
        major: z.union([z.literal(15), z.literal(18)]),
        mode: ZLabMode,
      }),
    )
    .mutation(({ ctx }) => createDemoLabHost(ctx.db, ctx.runtime, ctx.actor)),
  breakAgain: adminProcedure
    .output(z.object({ instanceId: z.string() }))
    .mutation(({ ctx }) => breakDemoAgain(ctx.db, ctx.actor)),
  remove: adminProcedure
    .output(z.object({ removed: z.boolean() }))
    .mutation(({ ctx }) => removeDemo(ctx.db, ctx.actor)),
});
