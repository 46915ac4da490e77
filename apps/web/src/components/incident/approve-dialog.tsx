"use client";
// The approval: a modal that shows again exactly what is approved, asks for the instance's name on
// destructive rungs, and leaves the decision (and the audit of a refusal) to the server.
import { useMutation, useQueryClient } from "@tanstack/react-query";
import { useEffect, useId, useRef, useState, type SubmitEvent } from "react";
import { Button } from "~/components/ui/button";
import { CopyBlock } from "~/components/ui/copy-block";
import { ErrorAlert } from "~/components/ui/feedback";
import { TextField } from "~/components/ui/field";
import { readError } from "~/lib/errors";
import type { TStepView } from "~/lib/types";
import { useTRPC } from "~/trpc/react";
import { stepHeading } from "./step-details";

export function ApproveDialog({
  step,
  open,
  onClose,
}: {
  step: TStepView;
  open: boolean;
  onClose: (approved: boolean) => void;
}) {
  const trpc = useTRPC();
  const queryClient = useQueryClient();
  const dialogRef = useRef<HTMLDialogElement>(null);
  const headingRef = useRef<HTMLHeadingElement>(null);
  const headingId = useId();
  const [confirm, setConfirm] = useState("");
  const approve = useMutation(
    trpc.steps.approve.mutationOptions({
      onSuccess: async () => {
        await queryClient.invalidateQueries({
          queryKey: trpc.incidents.get.queryKey({ incidentId: step.incidentId }),
        });
        onClose(true);
      },
      onError: async () => {
        // A refusal may have voided the step (e.g. the host changed): show the stored truth.
        await queryClient.invalidateQueries({
          queryKey: trpc.incidents.get.queryKey({ incidentId: step.incidentId }),
        });
      },
    }),
  );
  const { reset } = approve;

  useEffect(() => {
    const dialog = dialogRef.current;
    if (dialog === null) return;
    if (open && !dialog.open) {
      setConfirm("");
      reset();
      dialog.showModal();
      // The typed confirmation when one is needed; otherwise the title, so Enter does not approve by accident.
      const confirmation = dialog.querySelector<HTMLInputElement>('input[name="confirmation"]');
      if (confirmation === null) headingRef.current?.focus();
      else confirmation.focus();
    } else if (!open && dialog.open) {
      dialog.close();
    }
  }, [open, reset]);

  const submit = (event: SubmitEvent<HTMLFormElement>) => {
    event.preventDefault();
    approve.mutate({
      stepId: step.id,
      confirm: step.confirmationRequired === null ? undefined : confirm,
    });
  };

  const destructive = step.confirmationRequired !== null;
  const commands = step.displayCommands;
  const destroys = step.destroys;
  return (
    <dialog
      ref={dialogRef}
      aria-labelledby={headingId}
      onClose={() => {
        if (open) onClose(false);
      }}
      className="m-auto w-[min(42rem,calc(100vw-2rem))] rounded-lg border border-zinc-300 bg-white p-0 text-zinc-900 shadow-xl backdrop:bg-black/60 dark:border-zinc-700 dark:bg-zinc-900 dark:text-zinc-100"
    >
      <form onSubmit={submit} className="max-h-[calc(100vh-4rem)] space-y-4 overflow-y-auto p-5">
        <div>
          <h2
            id={headingId}
            ref={headingRef}
            tabIndex={-1}
            className="text-lg font-semibold focus:outline-none"
          >
            Approve {stepHeading(step)}
          </h2>
          <p className="mt-0.5 text-sm">{step.title}</p>
        </div>
        <div>
          <p className="mb-1 text-sm">
            You approve exactly these commands, planned from the diagnosis the step was proposed
            from. If the host changes materially before the run, the approval is void.
          </p>
          <CopyBlock
            label="the commands you approve"
            text={commands.join("\n") || step.script}
            maxHeightClass="max-h-40"
          />
        </div>
        <div className="text-sm">
          <p className="font-semibold">It destroys</p>
          {destroys.length === 0 ? (
            <p>Nothing.</p>
          ) : (
            <ul className="list-disc pl-5">
              {destroys.map((line, index) => (
                <li key={index}>{line}</li>
              ))}
            </ul>
          )}
        </div>
        {step.blockedReason === null ? null : (
          <p className="rounded-md border border-amber-300 bg-amber-50 px-3 py-2 text-sm text-amber-950 dark:border-amber-800 dark:bg-amber-950/60 dark:text-amber-100">
            <span className="font-semibold">Warning: </span>
            {step.blockedReason}
          </p>
        )}
        {step.confirmationRequired === null ? null : (
          <TextField
            label={
              <>
                Type the instance&apos;s name,{" "}
                <span className="font-mono">{step.confirmationRequired}</span>, to confirm
              </>
            }
            name="confirmation"
            autoComplete="off"
            spellCheck={false}
            value={confirm}
            onChange={(event) => {
              setConfirm(event.target.value);
            }}
            controlClassName="font-mono"
            hint="This rung is destructive; a mismatch is refused and recorded."
          />
        )}
        <div aria-live="assertive">
          {approve.isError ? (
            <ErrorAlert title="Approval refused" message={readError(approve.error).message} />
          ) : null}
        </div>
        <div className="flex justify-end gap-2">
          <Button
            onClick={() => {
              onClose(false);
            }}
          >
            Cancel
          </Button>
          <Button
            type="submit"
            variant={destructive ? "danger" : "primary"}
            busy={approve.isPending}
            disabled={approve.isPending}
          >
            Approve
          </Button>
        </div>
      </form>
    </dialog>
  );
}
