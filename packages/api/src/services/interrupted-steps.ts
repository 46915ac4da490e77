// At start-up: a step left RUNNING by a console that died is marked INTERRUPTED, never silently "running".
import type { TDb } from "@pgrescue/db";

export async function markInterruptedSteps(db: TDb): Promise<number> {
  const result = await db.step.updateMany({
    where: { status: "RUNNING" },
    data: {
      status: "INTERRUPTED",
      finishedAt: new Date(),
      error:
        "the console stopped while this step ran: its outcome is unknown — diagnose again before anything else",
    },
  });
  return result.count;
}
