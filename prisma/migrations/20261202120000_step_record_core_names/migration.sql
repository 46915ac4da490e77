-- One step record, one set of names: the Step's columns take the names of core's ladder step (TLadderStep), so the
-- planner, the store, the API and the UI say the same thing. Every existing row is kept.

-- Renamed: the script that runs, the text for the DBA, and the hash of the diagnosis the step was planned from
-- (the Snapshot's materialHash).
ALTER TABLE "Step" RENAME COLUMN "commands" TO "script";
ALTER TABLE "Step" RENAME COLUMN "rationale" TO "why";
ALTER TABLE "Step" RENAME COLUMN "expected" TO "expectedOutcome";
ALTER TABLE "Step" RENAME COLUMN "futility" TO "blockedReason";
ALTER TABLE "Step" RENAME COLUMN "snapshotHash" TO "materialHash";

-- Lists are lists, as in core: `destroys` was one item per line, `displayCommands` a JSON array of strings.
ALTER TABLE "Step" ADD COLUMN "destroysList" TEXT[] DEFAULT ARRAY[]::TEXT[];
UPDATE "Step" SET "destroysList" = ARRAY(
    SELECT item FROM unnest(string_to_array("destroys", E'\n')) WITH ORDINALITY AS lines(item, n)
    WHERE btrim(item) <> '' ORDER BY n);
ALTER TABLE "Step" DROP COLUMN "destroys";
ALTER TABLE "Step" RENAME COLUMN "destroysList" TO "destroys";

ALTER TABLE "Step" ADD COLUMN "displayCommandsList" TEXT[] DEFAULT ARRAY[]::TEXT[];
UPDATE "Step" SET "displayCommandsList" = ARRAY(
    SELECT item FROM jsonb_array_elements_text(
        CASE WHEN jsonb_typeof("displayCommands") = 'array' THEN "displayCommands" ELSE '[]'::jsonb END
    ) WITH ORDINALITY AS commands(item, n) ORDER BY n);
ALTER TABLE "Step" DROP COLUMN "displayCommands";
ALTER TABLE "Step" RENAME COLUMN "displayCommandsList" TO "displayCommands";

-- skipReason held two things: the operator's reason for choosing another rung than recommended (written when the
-- step was proposed) and, once the step was skipped, why it was skipped (which overwrote the first). Now two columns.
ALTER TABLE "Step" ADD COLUMN "choiceReason" TEXT;
UPDATE "Step" SET "choiceReason" = "skipReason", "skipReason" = NULL WHERE "status" <> 'SKIPPED';
-- A skipped step's choice reason is gone from its row, but the audit trail kept it with the proposal.
UPDATE "Step" AS s SET "choiceReason" = e."details"->>'reason'
FROM "AuditEvent" AS e
WHERE s."status" = 'SKIPPED'
  AND e."action" = 'step.propose'
  AND e."targetType" = 'Step'
  AND e."targetId" = s."id"
  AND jsonb_typeof(e."details"->'reason') = 'string';
