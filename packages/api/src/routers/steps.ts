// steps.*: propose a rung, approve it (bound to its exact commands and diagnosis), run it, skip it.
import { z } from "zod";
import { recordAudit } from "../services/audit.ts";
import { ServiceError } from "../services/service-error.ts";
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
    .mutation(async ({ ctx, input }) => {
      try {
        return await runStep(ctx.db, ctx.runtime, ctx.actor, input);
      } catch (error) {
        // a run the console refused (not approved, expired, drifted, already running) is audited like a refused approval
        if (error instanceof ServiceError && error.code !== "NOT_FOUND") {
          const step = await ctx.db.step.findUnique({
            where: { id: input.stepId },
            select: { incidentId: true, rung: true },
          });
          await recordAudit(ctx.db, ctx.actor, {
            action: "step.run-refused",
            targetType: "Step",
            targetId: input.stepId,
            incidentId: step?.incidentId,
            details: { rung: step?.rung ?? null, reason: error.message },
          });
        }
        throw error;
      }
    }),
  skip: operatorProcedure
    .input(z.object({ stepId: ZId, reason: createFreeText(2000) }))
    .output(ZStepSchema)
    .mutation(({ ctx, input }) => skipStep(ctx.db, ctx.runtime, ctx.actor, input)),
});
