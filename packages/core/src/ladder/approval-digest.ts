// The approval digest: the canonical text an approval of a rung is bound to (hashed outside core).
import { canonicalJson } from "../diagnosis/material-facts.ts";
import type { TRung } from "../diagnosis/snapshot-schema.ts";
import type { TLadderPlan } from "./ladder-schema.ts";

/**
 * The canonical text an approval binds to: the rung, the exact script and the material facts of
 * the diagnosis it was planned from. Hash it outside core (sha256); a changed script or a
 * materially different diagnosis gives a different digest, and the approval must be asked again.
 */
export function buildPlanDigestInput(plan: TLadderPlan, rung: TRung): string {
  const step = plan.steps.find((s) => s.rung === rung);
  if (step?.script == null) {
    throw new Error(`rung ${rung} has no script in this plan: nothing to approve`);
  }
  return canonicalJson({
    kind: "pgrescue-approval",
    version: 1,
    pgdata: plan.pgdata,
    rung,
    script: step.script,
    materialFacts: plan.materialFacts,
  });
}
