// The parts of a step's stored plan (core's TLadderStep as JSON) the UI shows: cautions, checks, targets.
// Read leniently: a field the UI cannot read is left out, never guessed.
import { z } from "zod";

const ZPlanView = z.object({
  cautions: z.array(z.string()).catch([]),
  checks: z.array(z.string()).catch([]),
  expectedToFail: z.boolean().catch(false),
  destructive: z.boolean().catch(false),
  targets: z
    .object({
      processes: z
        .array(
          z.object({
            pid: z.number(),
            role: z.string(),
            state: z.string(),
            wchan: z.string().nullable().catch(null),
            orphan: z.boolean().catch(false),
            signals: z.array(z.string()).catch([]),
          }),
        )
        .catch([]),
      ipc: z
        .array(
          z.object({
            kind: z.string(),
            id: z.number().nullable().catch(null),
            keyHex: z.string().nullable().catch(null),
            path: z.string().nullable().catch(null),
          }),
        )
        .catch([]),
      files: z
        .array(
          z.object({ kind: z.string(), path: z.string(), movedTo: z.string(), why: z.string() }),
        )
        .catch([]),
      zombies: z.array(z.object({ pid: z.number(), ppid: z.number() })).catch([]),
    })
    .catch({ processes: [], ipc: [], files: [], zombies: [] }),
  untargeted: z.array(z.object({ pid: z.number(), reason: z.string() })).catch([]),
});

export type TPlanView = z.infer<typeof ZPlanView>;

export function readPlan(plan: unknown): TPlanView | null {
  const parsed = ZPlanView.safeParse(plan);
  return parsed.success ? parsed.data : null;
}

const ZProblem = z.object({ reason: z.string(), message: z.string().nullable().catch(null) });

const ZResultView = z.object({
  status: z.string().nullable().catch(null),
  changedNothing: z.boolean().catch(false),
  messages: z.array(z.string()).catch([]),
  refusals: z.array(ZProblem).catch([]),
  unable: z.array(ZProblem).catch([]),
  errors: z.array(z.string()).catch([]),
  verifications: z
    .array(
      z.object({ tool: z.string(), result: z.string(), output: z.array(z.string()).catch([]) }),
    )
    .catch([]),
});

export type TResultView = z.infer<typeof ZResultView>;

/** The parsed report of a step's script (core's TActionOutput as stored): what it said in words. */
export function readResult(result: unknown): TResultView | null {
  const parsed = ZResultView.safeParse(result);
  return parsed.success ? parsed.data : null;
}
