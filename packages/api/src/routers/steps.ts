// steps.*: propose a rung, approve it (bound to its exact commands and diagnosis), run it, skip it.
import { z } from "zod";
import { runStep } from "../services/step-run.ts";
import { approveStep, proposeStep, skipStep } from "../services/steps.ts";
import { approverProcedure, createTRPCRouter, operatorProcedure } from "../trpc.ts";
import { createFreeText, createOptionalText, ZId } from "../services/inputs.ts";
import { ZRunOutcomeSchema, ZStepSchema } from "./schemas.ts";

export const stepsRouter = createTRPCRouter({
  propose: operatorProcedure
    .input(
      z.object({
        incidentId: ZId,
        rung: z.number().int().min(0).max(4).optional(),
        reason: createOptionalText(2000).optional(),
      }),
    )
    .output(ZStepSchema)
    .mutation(({ ctx, input }) => proposeStep(ctx.db, ctx.runtime, ctx.actor, input)),
  approve: approverProcedure
    .input(z.object({ stepId: ZId, confirm: z.string().max(200).optional() }))
    .output(ZStepSchema)
    .mutation(({ ctx, input }) => approveStep(ctx.db, ctx.runtime, ctx.actor, input)),
  run: operatorProcedure
    .input(z.object({ stepId: ZId }))
    .output(ZRunOutcomeSchema)
    .mutation(({ ctx, input }) => runStep(ctx.db, ctx.runtime, ctx.actor, input)),
  skip: operatorProcedure
    .input(z.object({ stepId: ZId, reason: createFreeText(2000) }))
    .output(ZStepSchema)
    .mutation(({ ctx, input }) => skipStep(ctx.db, ctx.runtime, ctx.actor, input)),
});
