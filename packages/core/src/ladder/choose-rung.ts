// The operator's choice of a rung from a plan: refused when it cannot run, a reason required when it is not the
// recommended one, with the lower rungs it skips and the evidence's warning.
import type { TRung } from "../diagnosis/snapshot-schema.ts";
import type { TLadderPlan, TLadderStep } from "./ladder-schema.ts";

export type TRungChoice =
  | {
      ok: true;
      step: TLadderStep;
      /** The operator picked the recommended rung. */
      followsRecommendation: boolean;
      /** The caller must record the operator's reason (another rung than recommended, or none was). */
      reasonRequired: boolean;
      /** Lower rungs that were recommended or applicable and are skipped by this choice. */
      skipped: TRung[];
      /** Set when the evidence says the step will not work. */
      warning: string | null;
    }
  | {
      ok: false;
      refusal: { code: "not-applicable" | "no-such-rung"; rung: number; reason: string };
    };

/** The operator's choice of a rung: any applicable rung may be chosen; one that cannot run is refused. */
export function chooseRung(plan: TLadderPlan, rung: number): TRungChoice {
  const step = plan.steps.find((s) => s.rung === rung);
  if (step === undefined) {
    return {
      ok: false,
      refusal: {
        code: "no-such-rung",
        rung,
        reason: `There is no rung ${rung}: the ladder has rungs 0 to 4.`,
      },
    };
  }
  if (!step.applicable || step.script === null) {
    return {
      ok: false,
      refusal: {
        code: "not-applicable",
        rung,
        reason: step.blockedReason ?? "This rung cannot run now.",
      },
    };
  }
  const rec = plan.recommendedRung;
  const skipped =
    rec === null || rung <= rec
      ? []
      : plan.steps.filter((s) => s.rung >= rec && s.rung < rung && s.applicable).map((s) => s.rung);
  return {
    ok: true,
    step,
    followsRecommendation: rec === rung,
    reasonRequired: rec !== rung,
    skipped,
    warning: step.expectedToFail ? step.blockedReason : null,
  };
}
