// What a finished step's script reported, in words: refusals (nothing changed), failures, messages, and
// the start verification (pg_isready, select 1) of rung 4.
import { memo } from "react";
import { Badge } from "~/components/ui/feedback";
import type { TStepView } from "~/lib/types";

export const StepReport = memo(function StepReport({ step }: { step: TStepView }) {
  const result = step.result;
  if (result === null) return null;
  const problems = [...result.refusals, ...result.unable].map(
    (problem) => problem.message ?? problem.reason,
  );
  const lines = [...problems, ...result.errors, ...result.messages];
  if (lines.length === 0 && result.verifications.length === 0) return null;
  return (
    <div className="text-sm" data-testid="step-report">
      <h4 className="font-semibold">
        What the script reported{result.changedNothing ? " (it changed nothing)" : ""}
      </h4>
      {lines.length === 0 ? null : (
        <ul className="mt-0.5 list-disc pl-5">
          {lines.map((line, index) => (
            <li key={index} className="break-words">
              {line}
            </li>
          ))}
        </ul>
      )}
      {result.verifications.length === 0 ? null : (
        <ul className="mt-1 space-y-0.5">
          {result.verifications.map((verification, index) => (
            <li key={index}>
              <Badge
                tone={
                  verification.result === "ok"
                    ? "good"
                    : verification.result === "failed"
                      ? "bad"
                      : "neutral"
                }
              >
                {verification.tool}: {verification.result}
              </Badge>{" "}
              <span className="font-mono text-xs break-all">{verification.output.join(" ")}</span>
            </li>
          ))}
        </ul>
      )}
    </div>
  );
});
