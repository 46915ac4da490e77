// Live events of a step on the incident's bus: status changes, and output chunks stored in arrival order first.
import type { TDb, OutputStream, StepStatus } from "@pgrescue/db";
import type { TRuntime } from "./runtime.ts";

type TStepRef = { id: string; incidentId: string };

/** Tells the incident's subscribers that a step changed status (the store already holds the change). */
export function publishStepStatus(runtime: TRuntime, step: TStepRef, status: StepStatus): void {
  runtime.bus.publish({ kind: "step", incidentId: step.incidentId, stepId: step.id, status });
}

export type TOutputWriter = {
  write(stream: OutputStream, data: string): void;
  /** Resolves once every chunk written so far is stored and published. */
  flushed(): Promise<void>;
};

/** Output chunks are stored strictly in arrival order (one chain of inserts), each published once it is stored. */
export function createOutputWriter(db: TDb, runtime: TRuntime, step: TStepRef): TOutputWriter {
  let seq = 0;
  let chain: Promise<void> = Promise.resolve();
  return {
    write(stream, data) {
      seq += 1;
      const chunkSeq = seq;
      chain = chain.then(async () => {
        await db.stepOutput.create({
          data: { stepId: step.id, seq: chunkSeq, stream, data },
          select: { id: true },
        });
        runtime.bus.publish({
          kind: "output",
          incidentId: step.incidentId,
          stepId: step.id,
          seq: chunkSeq,
          stream,
          data,
        });
      });
    },
    flushed: () => chain,
  };
}
