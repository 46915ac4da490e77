"use client";
// What a step will do and why: the exact commands (copyable), what it destroys, the rationale, warnings,
// what the script re-verifies first, and its targets.
import { memo } from "react";
import { CopyBlock } from "~/components/ui/copy-block";
import { Alert, Badge } from "~/components/ui/feedback";
import { RUNG_NAMES, type TStepView } from "~/lib/types";

export const StepDetails = memo(function StepDetails({ step }: { step: TStepView }) {
  const commands = step.displayCommands;
  const destroys = step.destroys;
  const plan = step.plan;
  const scriptLines = step.script.split("\n").length;
  return (
    <div className="space-y-3 text-sm">
      {step.blockedReason === null ? null : (
        <Alert
          tone="warn"
          title="The evidence says this step may not work"
          testId="step-blocked-reason"
        >
          {step.blockedReason}
        </Alert>
      )}
      {step.choiceReason === null ? null : (
        <Alert tone="info" title="Proposed instead of what the diagnosis recommended">
          Reason given: {step.choiceReason}
        </Alert>
      )}
      <div>
        <h4 className="font-semibold">Why</h4>
        <p className="mt-0.5">{step.why}</p>
      </div>
      <div>
        <h4 className="font-semibold">Commands that run on the host</h4>
        <p className="mb-1 text-xs text-zinc-600 dark:text-zinc-400">
          Exactly these; the script around them re-verifies every target first and changes nothing
          if the host differs from the plan.
        </p>
        <CopyBlock
          label={`commands of step ${String(step.seq)}`}
          text={commands.length > 0 ? commands.join("\n") : step.script}
          testId="step-commands"
        />
        <details className="mt-1">
          <summary className="cursor-pointer rounded text-xs text-zinc-700 underline-offset-2 hover:underline dark:text-zinc-300">
            The full script ({scriptLines} lines, run with /bin/sh -s)
          </summary>
          <CopyBlock
            label={`script of step ${String(step.seq)}`}
            text={step.script}
            className="mt-1"
            maxHeightClass="max-h-96"
          />
        </details>
      </div>
      <div>
        <h4 className="font-semibold">What it destroys</h4>
        {destroys.length === 0 ? (
          <p className="mt-0.5">Nothing.</p>
        ) : (
          <ul className="mt-0.5 list-disc pl-5" data-testid="step-destroys">
            {destroys.map((line, index) => (
              <li key={index}>{line}</li>
            ))}
          </ul>
        )}
      </div>
      <div>
        <h4 className="font-semibold">Expected outcome</h4>
        <p className="mt-0.5">{step.expectedOutcome}</p>
      </div>
      {plan === null ? null : (
        <>
          {plan.cautions.length === 0 ? null : (
            <Alert tone="warn" title="Cautions">
              <ul className="list-disc pl-5">
                {plan.cautions.map((caution, index) => (
                  <li key={index}>{caution}</li>
                ))}
              </ul>
            </Alert>
          )}
          {plan.targets.processes.length === 0 &&
          plan.targets.ipc.length === 0 &&
          plan.targets.files.length === 0 ? null : (
            <div>
              <h4 className="font-semibold">Targets</h4>
              <ul className="mt-0.5 space-y-0.5">
                {plan.targets.processes.map((target) => (
                  <li key={`p-${String(target.pid)}`}>
                    <span className="font-mono">{target.pid}</span> {target.role} ({target.state}
                    {target.wchan ? `, ${target.wchan}` : ""}){target.orphan ? " orphan" : ""} →{" "}
                    {target.signals.map((signal) => (
                      <Badge key={signal} tone="warn" className="mr-1">
                        {signal}
                      </Badge>
                    ))}
                  </li>
                ))}
                {plan.targets.ipc.map((target, index) => (
                  <li key={`i-${String(index)}`}>
                    remove {target.kind}{" "}
                    {target.path ?? `${String(target.id ?? "?")} (key ${target.keyHex ?? "?"})`}
                  </li>
                ))}
                {plan.targets.files.map((file) => (
                  <li key={file.path}>
                    move <span className="font-mono break-all">{file.path}</span> aside to{" "}
                    <span className="font-mono break-all">{file.movedTo}</span>: {file.why}
                  </li>
                ))}
              </ul>
              {plan.targets.zombies.length === 0 ? null : (
                <p className="mt-1 text-xs text-zinc-600 dark:text-zinc-400">
                  Zombies expected to disappear (never signalled):{" "}
                  {plan.targets.zombies.map((zombie) => zombie.pid).join(", ")}
                </p>
              )}
            </div>
          )}
          {plan.untargeted.length === 0 ? null : (
            <Alert tone="warn" title="Left alone (cannot be re-verified)">
              <ul className="list-disc pl-5">
                {plan.untargeted.map((item) => (
                  <li key={item.pid}>
                    {item.pid}: {item.reason}
                  </li>
                ))}
              </ul>
            </Alert>
          )}
          {plan.checks.length === 0 ? null : (
            <details>
              <summary className="cursor-pointer rounded text-xs text-zinc-700 underline-offset-2 hover:underline dark:text-zinc-300">
                What the script re-verifies before acting ({plan.checks.length})
              </summary>
              <ul className="mt-1 list-disc pl-5 text-xs">
                {plan.checks.map((check, index) => (
                  <li key={index}>{check}</li>
                ))}
              </ul>
            </details>
          )}
        </>
      )}
    </div>
  );
});

export function stepHeading(step: TStepView): string {
  return `Step ${String(step.seq)} · rung ${String(step.rung)} (${RUNG_NAMES[step.rung] ?? "?"})`;
}
