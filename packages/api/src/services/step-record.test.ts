// A stored step read back in core's types: a plan from a real capture comes back whole; JSON that does not match
// core's schema comes back as null, never half-read.
import { readFileSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { diagnose, planLadder, type TLadderStep } from "@pgrescue/core";
import { describe, expect, it } from "vitest";
import { readStepRecord, toJson } from "./step-record.ts";

const PROBE = fileURLToPath(
  new URL("../../../core/src/__fixtures__/probe/zombies.pg18", import.meta.url),
);

function plannedRung3(): TLadderStep {
  const meta = JSON.parse(readFileSync(`${PROBE}.meta.json`, "utf8")) as { pgdata: string };
  const snapshot = diagnose(readFileSync(`${PROBE}.txt`, "utf8"), { pgdata: meta.pgdata });
  const step = planLadder(snapshot, { pgdata: meta.pgdata, pgBin: null }).steps[3];
  if (step === undefined) throw new Error("no rung 3");
  return step;
}

describe("readStepRecord", () => {
  it("gives back the planned step and its evidence as core planned them", () => {
    const planned = plannedRung3();
    expect(planned.evidenceToCapture).not.toBeNull();
    const row = {
      id: "s1",
      rung: 3,
      // What Prisma returns for the JSON the service wrote (toJson): plain data.
      plan: JSON.parse(JSON.stringify(toJson(planned))) as TLadderStep,
      result: null,
      evidence: planned.evidenceToCapture,
    };
    const record = readStepRecord(row);
    expect(record.rung).toBe(3);
    expect(record.plan).toEqual(planned);
    expect(record.evidence).toEqual(planned.evidenceToCapture);
    expect(record.result).toBeNull();
    expect(record.id).toBe("s1");
  });

  it("returns null for stored JSON that does not match core's schema, and keeps the rest", () => {
    const planned = plannedRung3();
    // A plan and evidence written by a version whose schema differed: one field of another shape each.
    const record = readStepRecord({
      rung: 3,
      plan: { ...planned, targets: "garbage" },
      result: { actions: 3 },
      evidence: { ...planned.evidenceToCapture, processes: "none" },
      title: planned.title,
    });
    expect(record).toEqual({
      rung: 3,
      plan: null,
      result: null,
      evidence: null,
      title: planned.title,
    });
  });

  it("refuses a rung the planner never writes", () => {
    expect(() => readStepRecord({ rung: 7, plan: null, result: null, evidence: null })).toThrow();
  });
});
